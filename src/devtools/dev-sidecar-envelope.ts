import { randomBytes, randomUUID } from "node:crypto";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** What daprd knows when it wraps a publish that is not raw. */
export interface EnvelopeInput {
  /** The bytes the client sent. */
  readonly data: Uint8Array;
  /** The content type the client gave (entry `content_type`, or `data_content_type`). */
  readonly contentType: string;
  readonly topic: string;
  readonly pubsub: string;
  /** The sidecar's app id: the envelope's default `source`. */
  readonly appId: string;
  /** The metadata of the message: `cloudevent.*` keys override envelope fields, `ttlInSeconds` sets `expiration`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** The W3C traceparent of daprd's publish span. */
  readonly traceparent: string;
  /** Now, for `time` and `expiration`. @default new Date() */
  readonly now?: Date;
}

/** `cloudevent.<name>` metadata keys that override an envelope field (daprd matches them case-insensitively). */
const OVERRIDES = ["id", "source", "type", "subject", "traceid", "traceparent", "tracestate"] as const;

/** A new W3C traceparent, standing in for the span daprd starts for each published message. */
export function newTraceparent(): string {
  return `00-${randomBytes(16).toString("hex")}-${randomBytes(8).toString("hex")}-01`;
}

/** Go's time.RFC3339 at second precision, UTC. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function mediaType(contentType: string): string {
  return contentType.toLowerCase().split(";", 1)[0]?.trim() ?? "";
}

/** JSON with the top-level keys sorted, as Go's encoding/json writes a map; `raw` values are JSON text already. */
function marshalSorted(fields: Readonly<Record<string, unknown>>, raw: ReadonlySet<string> = new Set()): Buffer {
  const parts = Object.keys(fields)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${raw.has(key) ? String(fields[key]) : JSON.stringify(fields[key])}`);
  return Buffer.from(`{${parts.join(",")}}`);
}

function applyTtl(event: Record<string, unknown>, metadata: Readonly<Record<string, string>>, now: Date): void {
  const ttl = metadata["ttlInSeconds"];
  if (ttl === undefined || !/^-?\d+$/.test(ttl)) return;
  event["expiration"] = rfc3339(new Date(now.getTime() + Number(ttl) * 1000));
}

/**
 * What daprd publishes to the broker for a message without request-level `rawPayload`
 * (dapr/dapr `runtime/pubsub.NewCloudEvent`, dapr/components-contrib `pubsub/envelope.go`):
 *
 * - `application/cloudevents+json`: the client's CloudEvent, with `topic` and `pubsubname`
 *   overwritten, `traceid`/`traceparent` set to daprd's span unless it has a `traceid`,
 *   `tracestate`, `time`, `source` (`Dapr`), `type` (`com.dapr.event.sent`) and `specversion`
 *   added where missing. Rejected (INVALID_ARGUMENT "cannot create cloudevent") if it is not JSON.
 * - anything else: a `com.dapr.event.sent` envelope: a random `id`, `source` = the app id,
 *   `specversion` 1.0, `datacontenttype` (`text/plain` when empty), `topic`, `pubsubname`,
 *   `traceid` = `traceparent`, `tracestate`, `time`, and the payload in `data` (parsed, for
 *   `application/json`), in `data_base64` (for `application/octet-stream` and
 *   `application/cloudevents+protobuf`), or as text. `cloudevent.<field>` metadata overrides
 *   `id`, `source`, `type`, `subject` and the trace fields.
 *
 * Keys are sorted, as Go writes a map. One difference: a JSON payload is kept as sent
 * (numbers keep their precision) where Go compacts it; and `application/x-protobuf` is kept as
 * text, where daprd base64-encodes it when it parses as a protobuf CloudEvent.
 */
export function daprEnvelope(input: EnvelopeInput): Buffer {
  const now = input.now ?? new Date();
  const text = Buffer.from(input.data).toString("utf8");
  if (mediaType(input.contentType) === "application/cloudevents+json") {
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch (error) {
      throw new BridgeError(ErrorCode.Rejected, "cannot create cloudevent", { cause: error });
    }
    if (typeof event !== "object" || event === null || Array.isArray(event)) {
      throw new BridgeError(ErrorCode.Rejected, "cannot create cloudevent");
    }
    const fields = { ...(event as Record<string, unknown>) };
    fields["time"] ??= rfc3339(now);
    if (!("traceid" in fields)) {
      fields["traceid"] = input.traceparent;
      fields["traceparent"] = input.traceparent;
    }
    if (!("tracestate" in fields)) fields["tracestate"] = "";
    fields["topic"] = input.topic;
    fields["pubsubname"] = input.pubsub;
    fields["source"] ??= "Dapr";
    fields["type"] ??= "com.dapr.event.sent";
    fields["specversion"] ??= "1.0";
    applyTtl(fields, input.metadata, now);
    return marshalSorted(fields);
  }

  const override = new Map<string, string>();
  for (const [key, value] of Object.entries(input.metadata)) {
    const lower = key.toLowerCase();
    for (const name of OVERRIDES) if (lower === `cloudevent.${name}`) override.set(name, value);
  }
  const traceparent = override.get("traceparent") || override.get("traceid") || input.traceparent;
  const contentType = input.contentType === "" ? "text/plain" : input.contentType;
  const fields: Record<string, unknown> = {
    id: override.get("id") || randomUUID(),
    specversion: "1.0",
    datacontenttype: contentType,
    source: override.get("source") || input.appId,
    type: override.get("type") || "com.dapr.event.sent",
    topic: input.topic,
    pubsubname: input.pubsub,
    traceid: traceparent,
    traceparent,
    tracestate: override.get("tracestate") ?? "",
    time: rfc3339(now),
  };
  const subject = override.get("subject");
  if (subject !== undefined && subject !== "") fields["subject"] = subject;
  const raw = new Set<string>();
  const media = mediaType(contentType);
  if (media === "application/json" && isJson(text)) {
    fields["data"] = text.trim();
    raw.add("data");
  } else if (media === "application/octet-stream" || media === "application/cloudevents+protobuf") {
    fields["data_base64"] = Buffer.from(input.data).toString("base64");
  } else {
    fields["data"] = text;
  }
  applyTtl(fields, input.metadata, now);
  return marshalSorted(fields, raw);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Go's strconv.ParseBool, as daprd reads `rawPayload`: undefined for a value it rejects
 * (daprd answers INVALID_ARGUMENT "failed deserializing metadata").
 */
export function parseGoBool(value: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(value)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(value)) return false;
  return undefined;
}
