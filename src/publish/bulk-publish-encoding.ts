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

// Tags of dapr.proto.runtime.v1.BulkPublishRequest, BulkPublishRequestEntry and their map
// entries (field number << 3 | 2, length-delimited); the two messages number alike.
const TAG_PUBSUB_NAME = 10;
const TAG_TOPIC = 18;
const TAG_ENTRIES = 26;
const TAG_ENTRY_ID = 10;
const TAG_EVENT = 18;
const TAG_CONTENT_TYPE = 26;
const TAG_METADATA = 34;
const TAG_MAP_KEY = 10;
const TAG_MAP_VALUE = 18;

/** Bytes of a `map<string, string>` field: one entry message per key. */
function mapSize(map: Readonly<Record<string, string>>): number {
  let size = 0;
  for (const key in map) size += delimitedSize(delimitedSize(utf8Size(key)) + delimitedSize(utf8Size(map[key] ?? "")));
  return size;
}

/** Writes a `map<string, string>` field in key order (the lengths are measured again: maps here hold a few short strings). */
function writeMap(writer: PbWriter, map: Readonly<Record<string, string>>): void {
  for (const key in map) {
    const value = map[key] ?? "";
    const keyLength = utf8Size(key);
    const valueLength = utf8Size(value);
    writer.uint32(TAG_METADATA).uint32(delimitedSize(keyLength) + delimitedSize(valueLength));
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
  writer.uint32(TAG_PUBSUB_NAME).string(request.pubsub_name, writer.takeLength());
  writer.uint32(TAG_TOPIC).string(request.topic, writer.takeLength());
  for (const entry of request.entries) {
    writer.uint32(TAG_ENTRIES).uint32(writer.takeLength());
    writer.uint32(TAG_ENTRY_ID).string(entry.entry_id, writer.takeLength());
    writer.uint32(TAG_EVENT).bytes(entry.event);
    writer.uint32(TAG_CONTENT_TYPE).string(entry.content_type, writer.takeLength());
    writeMap(writer, entry.metadata);
  }
  writeMap(writer, request.metadata);
  return writer.finish();
}
