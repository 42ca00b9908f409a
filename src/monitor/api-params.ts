import { parseDurationMs } from "../config/duration.js";
import { isInstanceStatus, INSTANCE_STATUSES } from "./status.js";
import type { ListCursor, ListQuery } from "./store.js";

/** A query parameter the API cannot use: answered 400 with this message. */
export class BadRequest extends Error {
  override readonly name = "BadRequest";
}

/** The most instances one page holds. */
export const MAX_PAGE = 500;

/**
 * A point in time: a duration back from `nowMs` (`1h`, `30m`, `90s`) or an RFC 3339 time.
 * Undefined when absent.
 */
export function parseTimeParam(name: string, value: string | null, nowMs: number): number | undefined {
  if (value === null || value === "") return undefined;
  const ago = /^\d/.test(value) && !value.includes("-") ? parseDurationMs(value) : undefined;
  if (ago !== undefined) return nowMs - ago;
  const ms = Date.parse(value);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(value)) {
    throw new BadRequest(
      `${name}: expected a duration back from now (1h, 30m) or an RFC 3339 time, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** Encodes where the next page starts; opaque to clients. */
export function encodeCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAtMs, cursor.app, cursor.instanceId])).toString("base64url");
}

function decodeCursor(value: string): ListCursor {
  try {
    const parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8")) as unknown;
    if (
      Array.isArray(parsed) &&
      typeof parsed[0] === "number" &&
      typeof parsed[1] === "string" &&
      typeof parsed[2] === "string"
    ) {
      return { createdAtMs: parsed[0], app: parsed[1], instanceId: parsed[2] };
    }
  } catch {
    // reported below
  }
  throw new BadRequest("cursor: not a cursor this API gave (pass nextCursor from the previous page as it is)");
}

/** `GET /api/instances` parameters. */
export function parseListQuery(params: URLSearchParams, nowMs: number): ListQuery {
  const status = params.get("status");
  const upper = status?.toUpperCase();
  if (upper !== undefined && upper !== "" && !isInstanceStatus(upper)) {
    throw new BadRequest(`status: expected one of ${INSTANCE_STATUSES.join(", ")}, got ${JSON.stringify(status)}`);
  }
  const limitText = params.get("limit");
  const limit = limitText === null ? 50 : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new BadRequest(`limit: expected an integer 1..${MAX_PAGE}, got ${JSON.stringify(limitText)}`);
  }
  const text = (name: string): string | undefined => {
    const value = params.get(name);
    return value === null || value === "" ? undefined : value;
  };
  const name = text("name");
  const app = text("app");
  const sinceMs = parseTimeParam("since", params.get("since"), nowMs);
  const untilMs = parseTimeParam("until", params.get("until"), nowMs);
  const cursor = text("cursor");
  return {
    limit,
    ...(upper !== undefined && isInstanceStatus(upper) ? { status: upper } : {}),
    ...(name === undefined ? {} : { name }),
    ...(app === undefined ? {} : { app }),
    ...(sinceMs === undefined ? {} : { sinceMs }),
    ...(untilMs === undefined ? {} : { untilMs }),
    ...(cursor === undefined ? {} : { cursor: decodeCursor(cursor) }),
  };
}
