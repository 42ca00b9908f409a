import type { EventFormat } from "./record.js";

/** The publish content type of each format (see docs/contract.md). */
const CONTENT_TYPES = {
  protobuf: "application/cloudevents+protobuf",
  json: "application/cloudevents+json",
} as const satisfies Record<EventFormat, string>;

/** The publish content type of a format: `application/cloudevents+protobuf` or `application/cloudevents+json`. */
export function contentTypeFor(format: EventFormat): string {
  return CONTENT_TYPES[format];
}

/**
 * Whether a format is published as raw bytes: request-level metadata `rawPayload=true`. daprd
 * reads `rawPayload` from the request's metadata only, never from an entry's; without it, it
 * wraps every entry whose content type is not `application/cloudevents+json` in a
 * `com.dapr.event.sent` JSON envelope. Protobuf: true (the bytes are the CloudEvent). JSON:
 * false (daprd keeps the structured CloudEvent, so Dapr routing rules on `event.type` work).
 */
export function isRawPayload(format: EventFormat): boolean {
  return format === "protobuf";
}

/**
 * The per-entry publish metadata of a format. Both: `partitionKey`. Protobuf adds
 * `content-type` (Dapr turns metadata into Kafka headers: the Kafka binding's structured mode).
 * `rawPayload` is not here: it is request-level (see {@link isRawPayload}).
 */
export function publishMetadata(format: EventFormat, partitionKey: string): Readonly<Record<string, string>> {
  if (format === "protobuf") return { partitionKey, "content-type": CONTENT_TYPES.protobuf };
  return { partitionKey };
}
