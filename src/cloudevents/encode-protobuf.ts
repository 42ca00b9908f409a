import protobuf from "protobufjs";
import type { CloudEventRecord, ExtensionValue, Timestamp } from "./record.js";

const { Writer } = protobuf;

// Tags (field number << 3 | wire type) of io.cloudevents.v1.CloudEvent (DESIGN.md §3).
const TAG_ID = (1 << 3) | 2;
const TAG_SOURCE = (2 << 3) | 2;
const TAG_SPEC_VERSION = (3 << 3) | 2;
const TAG_TYPE = (4 << 3) | 2;
const TAG_ATTRIBUTES = (5 << 3) | 2;
const TAG_BINARY_DATA = (6 << 3) | 2;
const TAG_PROTO_DATA = (8 << 3) | 2;
// Map entries: key 1, value 2.
const TAG_ENTRY_KEY = (1 << 3) | 2;
const TAG_ENTRY_VALUE = (2 << 3) | 2;
// CloudEventAttributeValue members.
const TAG_CE_BOOLEAN = (1 << 3) | 0;
const TAG_CE_INTEGER = (2 << 3) | 0;
const TAG_CE_STRING = (3 << 3) | 2;
const TAG_CE_URI = (5 << 3) | 2;
const TAG_CE_TIMESTAMP = (7 << 3) | 2;
// google.protobuf.Any and Timestamp.
const TAG_ANY_TYPE_URL = (1 << 3) | 2;
const TAG_ANY_VALUE = (2 << 3) | 2;
const TAG_SECONDS = (1 << 3) | 0;
const TAG_NANOS = (2 << 3) | 0;

const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;

function writeTimestamp(writer: protobuf.Writer, time: Timestamp): void {
  writer.uint32(TAG_CE_TIMESTAMP).fork();
  if (time.seconds !== 0) writer.uint32(TAG_SECONDS).int64(time.seconds);
  if (time.nanos !== 0) writer.uint32(TAG_NANOS).int32(time.nanos);
  writer.ldelim();
}

/**
 * Writes one `attributes` map entry. Strings go as `ce_string` (`ce_uri` when `uri`),
 * booleans as `ce_boolean`, int32 integers as `ce_integer`, timestamps as `ce_timestamp`;
 * other numbers (fractions, beyond int32) have no CloudEvents type and go as `ce_string`.
 */
function writeAttribute(writer: protobuf.Writer, key: string, value: ExtensionValue, uri = false): void {
  writer.uint32(TAG_ATTRIBUTES).fork().uint32(TAG_ENTRY_KEY).string(key).uint32(TAG_ENTRY_VALUE).fork();
  if (typeof value === "string") writer.uint32(uri ? TAG_CE_URI : TAG_CE_STRING).string(value);
  else if (typeof value === "boolean") writer.uint32(TAG_CE_BOOLEAN).bool(value);
  else if (typeof value === "number") {
    if (Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) writer.uint32(TAG_CE_INTEGER).int32(value);
    else writer.uint32(TAG_CE_STRING).string(String(value));
  } else writeTimestamp(writer, value);
  writer.ldelim().ldelim();
}

/**
 * Encodes a record in the CloudEvents protobuf format (`io.cloudevents.v1.CloudEvent`,
 * DESIGN.md §3): id, source, spec_version and type as fields; subject, datacontenttype and
 * extensions as `ce_string` attributes (booleans `ce_boolean`, int32 numbers `ce_integer`,
 * timestamps `ce_timestamp`), time as `ce_timestamp`, dataschema as `ce_uri`; proto data as
 * `proto_data` (Any with the event's bytes as they are), binary data as `binary_data`.
 * Written field by field with a protobufjs Writer: no reflection, no copy of the data
 * besides the one into the output.
 */
export function encodeProtobuf(record: CloudEventRecord): Uint8Array {
  const writer = Writer.create();
  writer.uint32(TAG_ID).string(record.id);
  writer.uint32(TAG_SOURCE).string(record.source);
  writer.uint32(TAG_SPEC_VERSION).string(record.specversion);
  writer.uint32(TAG_TYPE).string(record.type);
  if (record.subject !== undefined) writeAttribute(writer, "subject", record.subject);
  if (record.time !== undefined) writeAttribute(writer, "time", record.time);
  if (record.datacontenttype !== undefined) writeAttribute(writer, "datacontenttype", record.datacontenttype);
  if (record.dataschema !== undefined) writeAttribute(writer, "dataschema", record.dataschema, true);
  for (const key in record.extensions) {
    const value = record.extensions[key];
    if (value !== undefined) writeAttribute(writer, key, value);
  }
  const data = record.data;
  if (data.kind === "proto") {
    writer.uint32(TAG_PROTO_DATA).fork().uint32(TAG_ANY_TYPE_URL).string(data.typeUrl).uint32(TAG_ANY_VALUE).bytes(data.value).ldelim();
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
  const writer = Writer.create();
  for (const key in attributes) {
    const value = attributes[key];
    if (value !== undefined) writeAttribute(writer, key, value);
  }
  return writer.finish();
}
