import type { EventFormat } from "./record.js";

/** The publish content type of each format (DESIGN.md §3). */
const CONTENT_TYPES = {
  protobuf: "application/cloudevents+protobuf",
  json: "application/cloudevents+json",
} as const satisfies Record<EventFormat, string>;

/** The publish content type of a format: `application/cloudevents+protobuf` or `application/cloudevents+json`. */
export function contentTypeFor(format: EventFormat): string {
  return CONTENT_TYPES[format];
}

/**
 * The per-entry publish metadata of a format (DESIGN.md §3). Protobuf: `rawPayload=true`
 * (Dapr must not wrap the bytes), `partitionKey`, and `content-type` (Dapr turns metadata
 * into Kafka headers: the Kafka binding's structured mode). JSON: `partitionKey` only.
 */
export function publishMetadata(format: EventFormat, partitionKey: string): Readonly<Record<string, string>> {
  if (format === "protobuf") {
    return { rawPayload: "true", partitionKey, "content-type": CONTENT_TYPES.protobuf };
  }
  return { partitionKey };
}
