import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Logger } from "../observability/logger.js";
import { BadRequest, encodeCursor, parseListQuery, parseTimeParam } from "./api-params.js";
import type { ChangeStream } from "./change-stream.js";
import type { Delivery } from "../consumer/delivery.js";
import { decodeBody } from "./decode-body.js";
import { factOf } from "./facts.js";
import type { IngestQueue } from "./ingest-queue.js";
import type { MonitorMetrics } from "./monitor-metrics.js";
import type { ResolvedMonitorOptions } from "./options.js";
import { isUiPath, serveUi } from "./static-ui.js";
import type { MonitorStore } from "./store.js";

/** The largest event body accepted, bytes. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** What the routes work with. */
export interface RouteContext {
  readonly options: ResolvedMonitorOptions;
  readonly store: MonitorStore;
  readonly queue: IngestQueue;
  readonly stream: ChangeStream;
  readonly metrics: MonitorMetrics;
  readonly logger: Logger;
  /** Health as `/healthz` reports it. */
  readonly status: () => string;
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" }).end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new BadRequest(`the body is larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Whether a Dapr-facing request carries the app API token (when one is configured). */
function authorised(context: RouteContext, request: IncomingMessage): boolean {
  const expected = context.options.appApiToken;
  if (expected === undefined) return true;
  const given = request.headers["dapr-api-token"];
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `GET /dapr/subscribe`: the programmatic subscriptions (daprd asks at start). */
function subscriptions(context: RouteContext): unknown[] {
  const { route } = context.options;
  const bulk = context.options.bulkSubscribe;
  return context.options.subscriptions.map((s) => ({
    pubsubname: s.pubsub,
    topic: s.topic,
    route,
    ...(s.rawPayload ? { metadata: { rawPayload: "true" } } : {}),
    ...(bulk === undefined ? {} : { bulkSubscribe: { enabled: true, ...bulk } }),
  }));
}

type Status = "SUCCESS" | "RETRY" | "DROP";

/** Decodes, dedupes and applies one event; what daprd is told about it. */
async function ingestOne(context: RouteContext, decode: () => Delivery, size: number): Promise<Status> {
  let fact;
  try {
    fact = factOf(decode(), Date.now());
  } catch (error) {
    context.metrics.drop("undecodable");
    context.logger.warn(
      { err: BridgeError.from(error), bytes: size },
      "dropping a delivery that is not a CloudEvent from the bridge",
    );
    // Retrying cannot help: daprd dead-letters a DROP where the subscription has a dead-letter topic.
    return "DROP";
  }
  if (fact === undefined) {
    context.metrics.drop("not_an_event");
    return "SUCCESS";
  }
  try {
    await context.queue.add(fact);
    return "SUCCESS";
  } catch (error) {
    context.logger.error(
      { err: BridgeError.from(error) },
      "the monitor could not store an event; asking daprd to retry",
    );
    return "RETRY";
  }
}

/**
 * The entries of a bulk delivery (dapr/dapr `pkg/runtime/subscription/bulksubscription.go`): a
 * JSON object with `entries` of `{entryId, event, contentType, metadata}`, where `event` is the
 * message base64-encoded (raw subscription) or the CloudEvent object. Undefined for a single event.
 */
function bulkEntries(body: Buffer): Array<{ entryId: string; event: unknown }> | undefined {
  if (body[0] !== 0x7b || !body.includes('"entries"')) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    return undefined;
  }
  const entries = (parsed as { entries?: unknown }).entries;
  if (!Array.isArray(entries) || (parsed as { specversion?: unknown }).specversion !== undefined) return undefined;
  return entries.map((entry: unknown) => {
    const item = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
    const entryId = item["entryId"];
    return { entryId: typeof entryId === "string" ? entryId : "", event: item["event"] };
  });
}

function decodeEntry(event: unknown): Delivery {
  if (typeof event === "string") return decodeBody(Buffer.from(event, "base64"));
  if (typeof event === "object" && event !== null) return decodeBody(Buffer.from(JSON.stringify(event)));
  return decodeBody(new Uint8Array());
}

/** The event route: single deliveries answer `{status}`, bulk deliveries `{statuses:[{entryId,status}]}`. */
async function deliver(context: RouteContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const body = await readBody(request);
  const entries = bulkEntries(body);
  context.metrics.deliveries[entries === undefined ? "single" : "bulk"] += 1;
  if (entries === undefined) {
    return json(response, 200, { status: await ingestOne(context, () => decodeBody(body), body.length) });
  }
  const statuses = await Promise.all(
    entries.map(async ({ entryId, event }) => ({
      entryId,
      status: await ingestOne(context, () => decodeEntry(event), 0),
    })),
  );
  json(response, 200, { statuses });
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new BadRequest(`the path segment ${JSON.stringify(segment)} is not valid percent-encoding`);
  }
}

async function instanceRoutes(context: RouteContext, parts: string[], response: ServerResponse): Promise<void> {
  const [appPart, idPart, tail] = parts;
  if (appPart === undefined || idPart === undefined || parts.length > 3 || (tail !== undefined && tail !== "history")) {
    return json(response, 404, { error: "expected /api/instances/{app}/{instanceId}[/history]" });
  }
  const app = decodeSegment(appPart);
  const instanceId = decodeSegment(idPart);
  if (tail === "history") {
    const events = await context.store.history(app, instanceId);
    if (events === undefined) return json(response, 404, { error: `no instance ${instanceId} of app ${app}` });
    return json(response, 200, { events });
  }
  const instance = await context.store.getInstance(app, instanceId);
  if (instance === undefined) return json(response, 404, { error: `no instance ${instanceId} of app ${app}` });
  json(response, 200, { instance });
}

async function api(context: RouteContext, url: URL, response: ServerResponse): Promise<void> {
  const nowMs = Date.now();
  const parts = url.pathname.split("/").slice(1);
  if (url.pathname === "/api/instances") {
    const page = await context.store.listInstances(parseListQuery(url.searchParams, nowMs));
    return json(response, 200, {
      instances: page.instances,
      nextCursor: page.next === undefined ? null : encodeCursor(page.next),
      total: page.total,
    });
  }
  if (parts[1] === "instances") return instanceRoutes(context, parts.slice(2), response);
  if (url.pathname === "/api/aggregates") {
    const sinceMs = parseTimeParam("since", url.searchParams.get("since"), nowMs);
    return json(response, 200, await context.store.aggregates(sinceMs, nowMs));
  }
  json(response, 404, { error: `no API route ${url.pathname}` });
}

/** Handles one request; every failure becomes a JSON answer, never an unhandled rejection. */
export async function handle(context: RouteContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const url = new URL(request.url ?? "/", "http://monitor");
  const method = request.method ?? "GET";
  try {
    if (url.pathname === "/dapr/subscribe" || (method === "POST" && url.pathname === context.options.route)) {
      if (!authorised(context, request)) {
        context.metrics.drop("unauthenticated");
        return json(response, 401, { error: "missing or wrong dapr-api-token (the monitor's APP_API_TOKEN)" });
      }
      if (url.pathname === "/dapr/subscribe") return json(response, 200, subscriptions(context));
      return await deliver(context, request, response);
    }
    if (method !== "GET") return json(response, 405, { error: `${method} is not served on ${url.pathname}` });
    if (url.pathname === "/healthz") {
      const status = context.status();
      return json(response, status === "running" ? 200 : 503, { status, store: context.store.kind });
    }
    if (url.pathname === "/metrics") {
      const text = await context.metrics.render(
        context.store,
        context.options.stuckAfterMs,
        Date.now(),
        context.queue.depth,
      );
      return void response.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(text);
    }
    if (url.pathname === "/api/stream") return context.stream.attach(response);
    if (url.pathname.startsWith("/api/")) return await api(context, url, response);
    if (isUiPath(url.pathname)) return await serveUi(context.options.uiDir, url.pathname, response);
    json(response, 404, { error: `nothing is served at ${url.pathname}` });
  } catch (error) {
    if (error instanceof BadRequest) return json(response, 400, { error: error.message });
    const wrapped = BridgeError.from(error);
    context.logger.error({ err: wrapped, path: url.pathname }, "a monitor request failed");
    if (!response.headersSent)
      json(response, wrapped.code === ErrorCode.Internal ? 500 : 503, { error: wrapped.message });
  }
}
