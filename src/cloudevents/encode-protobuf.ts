import { fieldTag, TypeName } from "../proto/protos.js";
import { delimitedSize, encodeUtf8, int32Size, PbWriter, utf8Size } from "../proto/wire/writer.js";
import type { CloudEventRecord, ExtensionValue, Timestamp } from "./record.js";

// Tags (field number << 3 | wire type) of io.cloudevents.v1.CloudEvent (docs/contract.md §3), from proto/.
const CLOUD_EVENT = TypeName.CloudEvent;
const ATTRIBUTE_VALUE = `${TypeName.CloudEvent}.CloudEventAttributeValue`;
const TAG_ID = fieldTag(CLOUD_EVENT, "id");
const TAG_SOURCE = fieldTag(CLOUD_EVENT, "source");
const TAG_SPEC_VERSION = fieldTag(CLOUD_EVENT, "spec_version");
const TAG_TYPE = fieldTag(CLOUD_EVENT, "type");
const TAG_ATTRIBUTES = fieldTag(CLOUD_EVENT, "attributes");
const TAG_BINARY_DATA = fieldTag(CLOUD_EVENT, "binary_data");
const TAG_PROTO_DATA = fieldTag(CLOUD_EVENT, "proto_data");
// Map entries: key 1, value 2 (protobuf's map encoding, the same for every map).
const TAG_ENTRY_KEY = (1 << 3) | 2;
const TAG_ENTRY_VALUE = (2 << 3) | 2;
const TAG_CE_BOOLEAN = fieldTag(ATTRIBUTE_VALUE, "ce_boolean");
const TAG_CE_INTEGER = fieldTag(ATTRIBUTE_VALUE, "ce_integer");
const TAG_CE_STRING = fieldTag(ATTRIBUTE_VALUE, "ce_string");
const TAG_CE_URI = fieldTag(ATTRIBUTE_VALUE, "ce_uri");
const TAG_CE_TIMESTAMP = fieldTag(ATTRIBUTE_VALUE, "ce_timestamp");
const TAG_ANY_TYPE_URL = fieldTag("google.protobuf.Any", "type_url");
const TAG_ANY_VALUE = fieldTag("google.protobuf.Any", "value");
const TAG_SECONDS = fieldTag("google.protobuf.Timestamp", "seconds");
const TAG_NANOS = fieldTag("google.protobuf.Timestamp", "nanos");

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function timestampSize(writer: PbWriter, time: Timestamp): number {
  return (
    (time.seconds !== 0 ? 1 + writer.int64Size(time.seconds) : 0) + (time.nanos !== 0 ? 1 + int32Size(time.nanos) : 0)
  );
}

function isInt32(value: number): boolean {
  return Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX;
}

/**
 * Extensions whose values come from a small set (docs/contract.md §3): their whole entries are
 * encoded once and reused, as are those of `datacontenttype` and `dataschema`.
 */
const RECURRING_VALUES: ReadonlySet<string> = new Set([
  "daprappid",
  "daprnamespace",
  "workflowstatus",
  "deadletterreason",
]);

/** How many distinct strings {@link internedUtf8} keeps. */
const INTERNED_MAX = 1024;
const interned = new Map<string, Uint8Array>();

/**
 * The UTF-8 bytes of a string that recurs from message to message (attribute names, event
 * types, schemas), encoded once and kept: the first {@link INTERNED_MAX} distinct strings
 * are kept, later ones encoded on each call. A memo of a pure function: it changes no
 * output, and no call depends on what an earlier call left.
 */
function internedUtf8(value: string): Uint8Array {
  let bytes = interned.get(value);
  if (bytes === undefined) {
    bytes = encodeUtf8(value);
    if (interned.size < INTERNED_MAX) interned.set(value, bytes);
  }
  return bytes;
}

/** How many distinct recurring entries are kept; later ones are encoded each time. */
const RECURRING_ENTRIES_MAX = 1024;
let recurringEntryCount = 0;
const recurringEntries = new Map<string, Map<string, Uint8Array>>();
const recurringUriEntries = new Map<string, Map<string, Uint8Array>>();

/** The bytes of a whole `attributes` entry with a string value, tag included; kept while there is room. */
function recurringEntry(key: string, value: string, uri: boolean): Uint8Array {
  const cache = uri ? recurringUriEntries : recurringEntries;
  let byValue = cache.get(key);
  const known = byValue?.get(value);
  if (known !== undefined) return known;
  const keyLength = utf8Size(key);
  const stringLength = utf8Size(value);
  const valueLength = delimitedSize(stringLength);
  const entryLength = delimitedSize(keyLength) + delimitedSize(valueLength);
  const writer = new PbWriter().alloc(delimitedSize(entryLength));
  writer.uint32(TAG_ATTRIBUTES).uint32(entryLength).uint32(TAG_ENTRY_KEY).string(key, keyLength);
  writer
    .uint32(TAG_ENTRY_VALUE)
    .uint32(valueLength)
    .uint32(uri ? TAG_CE_URI : TAG_CE_STRING)
    .string(value, stringLength);
  const entry = writer.finish();
  if (recurringEntryCount < RECURRING_ENTRIES_MAX) {
    if (byValue === undefined) cache.set(key, (byValue = new Map<string, Uint8Array>()));
    byValue.set(value, entry);
    recurringEntryCount++;
  }
  return entry;
}

const keyFields = new Map<string, Uint8Array>();

/** The bytes of an entry's key field (tag, length, name); kept while there is room. */
function keyField(key: string): Uint8Array {
  const known = keyFields.get(key);
  if (known !== undefined) return known;
  const name = internedUtf8(key);
  const field = new PbWriter().alloc(delimitedSize(name.length)).uint32(TAG_ENTRY_KEY).bytes(name).finish();
  if (keyFields.size < RECURRING_ENTRIES_MAX) keyFields.set(key, field);
  return field;
}

/**
 * Sizes one `attributes` entry (see {@link writeAttribute}) and records what the writer
 * takes back: a recurring entry's bytes; else the key field's bytes, then the value message's
 * length, the entry's, and the length of the value's string or timestamp when it has one.
 */
function sizeAttribute(writer: PbWriter, key: string, value: ExtensionValue, recurring: boolean, uri = false): number {
  if (recurring && typeof value === "string") return writer.putChunk(recurringEntry(key, value, uri));
  let inner = -1;
  let valueLength: number;
  const keyLength = writer.putChunk(keyField(key));
  if (typeof value === "string") valueLength = delimitedSize((inner = utf8Size(value)));
  else if (typeof value === "boolean") valueLength = 2;
  else if (typeof value === "number") {
    valueLength = isInt32(value) ? 1 + int32Size(value) : delimitedSize((inner = utf8Size(String(value))));
  } else valueLength = delimitedSize((inner = timestampSize(writer, value)));
  const entryLength = keyLength + delimitedSize(valueLength);
  writer.putLength(valueLength);
  writer.putLength(entryLength);
  if (inner >= 0) writer.putLength(inner);
  return delimitedSize(entryLength);
}

/**
 * Writes one `attributes` map entry, sized by {@link sizeAttribute}. Strings go as
 * `ce_string` (`ce_uri` when `uri`), booleans as `ce_boolean`, int32 integers as
 * `ce_integer`, timestamps as `ce_timestamp`; other numbers (fractions, beyond int32) have
 * no CloudEvents type and go as `ce_string`.
 */
function writeAttribute(writer: PbWriter, value: ExtensionValue, recurring: boolean, uri = false): void {
  if (recurring && typeof value === "string") {
    writer.raw(writer.takeChunk());
    return;
  }
  const key = writer.takeChunk();
  const valueLength = writer.takeLength();
  const entryLength = writer.takeLength();
  writer.uint32(TAG_ATTRIBUTES).uint32(entryLength).raw(key).uint32(TAG_ENTRY_VALUE).uint32(valueLength);
  if (typeof value === "string") writer.uint32(uri ? TAG_CE_URI : TAG_CE_STRING).string(value, writer.takeLength());
  else if (typeof value === "boolean") writer.uint32(TAG_CE_BOOLEAN).bool(value);
  else if (typeof value === "number") {
    if (isInt32(value)) writer.uint32(TAG_CE_INTEGER).int32(value);
    else writer.uint32(TAG_CE_STRING).string(String(value), writer.takeLength());
  } else {
    writer.uint32(TAG_CE_TIMESTAMP).uint32(writer.takeLength());
    if (value.seconds !== 0) writer.uint32(TAG_SECONDS).int64(value.seconds);
    if (value.nanos !== 0) writer.uint32(TAG_NANOS).int32(value.nanos);
  }
}

/** Sizes the entries of `attributes`, in their order, skipping undefined values. */
function sizeAttributes(writer: PbWriter, attributes: Readonly<Record<string, ExtensionValue>>): number {
  let size = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) size += sizeAttribute(writer, key, value, RECURRING_VALUES.has(key));
  }
  return size;
}

function writeAttributes(writer: PbWriter, attributes: Readonly<Record<string, ExtensionValue>>): void {
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) writeAttribute(writer, value, RECURRING_VALUES.has(key));
  }
}

/**
 * Encodes a record in the CloudEvents protobuf format (`io.cloudevents.v1.CloudEvent`,
 * docs/contract.md §3): id, source, spec_version and type as fields; subject, datacontenttype and
 * extensions as `ce_string` attributes (booleans `ce_boolean`, int32 numbers `ce_integer`,
 * timestamps `ce_timestamp`), time as `ce_timestamp`, dataschema as `ce_uri`; proto data as
 * `proto_data` (Any with the event's bytes as they are), binary data as `binary_data`.
 * Sized first, then written into one buffer of that size: no reflection, no copy of the
 * data besides the one into the output; the sizing pass's lengths wait in the writer
 * instance ({@link PbWriter}). The bytes are those protobufjs's Writer gives.
 */
export function encodeProtobuf(record: CloudEventRecord): Uint8Array {
  const writer = new PbWriter();
  const idLength = utf8Size(record.id);
  const sourceLength = utf8Size(record.source);
  const specVersion = internedUtf8(record.specversion);
  const type = internedUtf8(record.type);
  let size =
    delimitedSize(idLength) +
    delimitedSize(sourceLength) +
    delimitedSize(specVersion.length) +
    delimitedSize(type.length);
  if (record.subject !== undefined) size += sizeAttribute(writer, "subject", record.subject, false);
  if (record.time !== undefined) size += sizeAttribute(writer, "time", record.time, false);
  if (record.datacontenttype !== undefined)
    size += sizeAttribute(writer, "datacontenttype", record.datacontenttype, true);
  if (record.dataschema !== undefined) size += sizeAttribute(writer, "dataschema", record.dataschema, true, true);
  size += sizeAttributes(writer, record.extensions);
  const data = record.data;
  let typeUrl: Uint8Array | undefined;
  let anyLength = 0;
  if (data.kind === "proto") {
    typeUrl = internedUtf8(data.typeUrl);
    anyLength = delimitedSize(typeUrl.length) + delimitedSize(data.value.length);
    size += delimitedSize(anyLength);
  } else {
    size += delimitedSize(data.value.length);
  }

  writer.alloc(size);
  writer.uint32(TAG_ID).string(record.id, idLength);
  writer.uint32(TAG_SOURCE).string(record.source, sourceLength);
  writer.uint32(TAG_SPEC_VERSION).bytes(specVersion);
  writer.uint32(TAG_TYPE).bytes(type);
  if (record.subject !== undefined) writeAttribute(writer, record.subject, false);
  if (record.time !== undefined) writeAttribute(writer, record.time, false);
  if (record.datacontenttype !== undefined) writeAttribute(writer, record.datacontenttype, true);
  if (record.dataschema !== undefined) writeAttribute(writer, record.dataschema, true, true);
  writeAttributes(writer, record.extensions);
  if (typeUrl !== undefined) {
    writer
      .uint32(TAG_PROTO_DATA)
      .uint32(anyLength)
      .uint32(TAG_ANY_TYPE_URL)
      .bytes(typeUrl)
      .uint32(TAG_ANY_VALUE)
      .bytes(data.value);
  } else {
    writer.uint32(TAG_BINARY_DATA).bytes(data.value);
  }
  return writer.finish();
}

/**
 * Encodes attributes as `attributes` map entries alone. Appended to an encoded CloudEvent
 * they add (or, for a key already present, replace: the last map entry wins) attributes
 * without touching the rest of the bytes.
 */
export function encodeAttributeEntries(attributes: Readonly<Record<string, ExtensionValue>>): Uint8Array {
  const writer = new PbWriter();
  writer.alloc(sizeAttributes(writer, attributes));
  writeAttributes(writer, attributes);
  return writer.finish();
}
