import { daprRuntimeProtos, typeFieldTag } from "../proto/protos.js";
import { delimitedSize, PbWriter, utf8Size } from "../proto/wire/writer.js";

/** One entry of a `BulkPublishRequest`. */
export interface BulkPublishRequestEntry {
  readonly entry_id: string;
  readonly event: Uint8Array;
  readonly content_type: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * `BulkPublishRequest`. daprd reads `rawPayload` from the request-level `metadata` only, and merges
 * it under each entry's own metadata (entry keys win) when the entry has some (see docs/contract.md).
 */
export interface BulkPublishRequest {
  readonly pubsub_name: string;
  readonly topic: string;
  readonly entries: readonly BulkPublishRequestEntry[];
  readonly metadata: Readonly<Record<string, string>>;
}

/** Tags of `BulkPublishRequest` and `BulkPublishRequestEntry`, from Dapr's own descriptors. */
interface BulkTags {
  readonly pubsubName: number;
  readonly topic: number;
  readonly entries: number;
  readonly requestMetadata: number;
  readonly entryId: number;
  readonly event: number;
  readonly contentType: number;
  readonly entryMetadata: number;
}

let bulkTags: BulkTags | undefined;

/** Read on the first encode, not at import: commands that never publish do not load Dapr's protos. */
function tags(): BulkTags {
  if (bulkTags !== undefined) return bulkTags;
  const request = daprRuntimeProtos().lookupType("dapr.proto.runtime.v1.BulkPublishRequest");
  const entry = daprRuntimeProtos().lookupType("dapr.proto.runtime.v1.BulkPublishRequestEntry");
  bulkTags = {
    pubsubName: typeFieldTag(request, "pubsub_name"),
    topic: typeFieldTag(request, "topic"),
    entries: typeFieldTag(request, "entries"),
    requestMetadata: typeFieldTag(request, "metadata"),
    entryId: typeFieldTag(entry, "entry_id"),
    event: typeFieldTag(entry, "event"),
    contentType: typeFieldTag(entry, "content_type"),
    entryMetadata: typeFieldTag(entry, "metadata"),
  };
  return bulkTags;
}

// A map entry is a message whose key is field 1 and value field 2, by the protobuf spec.
const TAG_MAP_KEY = 10;
const TAG_MAP_VALUE = 18;

/** Bytes of a `map<string, string>` field: one entry message per key. */
function mapSize(map: Readonly<Record<string, string>>): number {
  let size = 0;
  for (const key in map) size += delimitedSize(delimitedSize(utf8Size(key)) + delimitedSize(utf8Size(map[key] ?? "")));
  return size;
}

/** Writes a `map<string, string>` field in key order (the lengths are measured again: maps here hold a few short strings). */
function writeMap(writer: PbWriter, tag: number, map: Readonly<Record<string, string>>): void {
  for (const key in map) {
    const value = map[key] ?? "";
    const keyLength = utf8Size(key);
    const valueLength = utf8Size(value);
    writer.uint32(tag).uint32(delimitedSize(keyLength) + delimitedSize(valueLength));
    writer.uint32(TAG_MAP_KEY).string(key, keyLength);
    writer.uint32(TAG_MAP_VALUE).string(value, valueLength);
  }
}

/**
 * Encodes a `BulkPublishRequest` (the request of `BulkPublishEvent` and
 * `BulkPublishEventAlpha1`) into one buffer sized first, without protobufjs's object per
 * written field: the largest encoding on the publish path. The bytes are those protobufjs
 * writes for the same request: every field present (empty strings too), map entries in key
 * order.
 */
export function encodeBulkPublishRequest(request: BulkPublishRequest): Buffer {
  const writer = new PbWriter();
  const pubsubLength = writer.putLength(utf8Size(request.pubsub_name));
  const topicLength = writer.putLength(utf8Size(request.topic));
  let size = delimitedSize(pubsubLength) + delimitedSize(topicLength);
  for (const entry of request.entries) {
    const idLength = utf8Size(entry.entry_id);
    const typeLength = utf8Size(entry.content_type);
    const entrySize =
      delimitedSize(idLength) + delimitedSize(entry.event.length) + delimitedSize(typeLength) + mapSize(entry.metadata);
    // In the order the writing pass takes them.
    writer.putLength(entrySize);
    writer.putLength(idLength);
    writer.putLength(typeLength);
    size += delimitedSize(entrySize);
  }
  size += mapSize(request.metadata);
  writer.alloc(size);
  const tag = tags();
  writer.uint32(tag.pubsubName).string(request.pubsub_name, writer.takeLength());
  writer.uint32(tag.topic).string(request.topic, writer.takeLength());
  for (const entry of request.entries) {
    writer.uint32(tag.entries).uint32(writer.takeLength());
    writer.uint32(tag.entryId).string(entry.entry_id, writer.takeLength());
    writer.uint32(tag.event).bytes(entry.event);
    writer.uint32(tag.contentType).string(entry.content_type, writer.takeLength());
    writeMap(writer, tag.entryMetadata, entry.metadata);
  }
  writeMap(writer, tag.requestMetadata, request.metadata);
  return writer.finish();
}
