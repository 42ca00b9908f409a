import protobuf from "protobufjs";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { bridgeProtos } from "../proto/protos.js";
import { toBase64 } from "./base64.js";
import { toProto3Json } from "./proto-json.js";
import type { JsonObject, JsonValue } from "./proto-json.js";
import type { CloudEventRecord, ExtensionValue } from "./record.js";
import { formatTimestamp } from "./timestamp.js";
import { JSON_DATA_CONTENT_TYPE, TYPE_URL_PREFIX } from "./types.js";

/** Member names of the JSON format that extensions must not overwrite. */
const CORE_MEMBERS: ReadonlySet<string> = new Set([
  "specversion",
  "id",
  "source",
  "type",
  "subject",
  "time",
  "datacontenttype",
  "dataschema",
  "data",
  "data_base64",
]);

/** The Distributed Tracing extension, and the member daprd reads to leave the trace alone. */
const TRACEPARENT = "traceparent";
const TRACEID = "traceid";

/** Data types by type URL, looked up once each. */
const dataTypes = new Map<string, protobuf.Type | null>();

function dataTypeFor(typeUrl: string): protobuf.Type | null {
  let type = dataTypes.get(typeUrl);
  if (type === undefined) {
    const found = typeUrl.startsWith(TYPE_URL_PREFIX)
      ? bridgeProtos().lookup(typeUrl.slice(TYPE_URL_PREFIX.length))
      : null;
    type = found instanceof protobuf.Type ? found : null;
    dataTypes.set(typeUrl, type);
  }
  return type;
}

function extensionToJson(value: ExtensionValue): JsonValue {
  return typeof value === "object" ? formatTimestamp(value) : value;
}

/**
 * Encodes a record as a structured JSON CloudEvent (UTF-8, docs/contract.md §3): the attributes
 * as members (time in RFC 3339 "Z" with 0, 3, 6 or 9 fractional digits, extensions as
 * top-level members, timestamp extensions as RFC 3339 strings), and `traceid` equal to the
 * `traceparent` extension where the record has one (daprd keeps an envelope's trace context
 * only when it has a `traceid`; without one it writes its own publish span over
 * `traceparent`). Proto data whose type the bridge knows becomes `data` in proto3 canonical JSON with datacontenttype
 * `application/json` (unknown fields of the event have no JSON form and are left out);
 * binary data, or proto data of a type it does not know, becomes `data_base64` with the
 * record's datacontenttype.
 *
 * @throws BridgeError `undecodable` when the proto data does not decode as its type.
 */
export function encodeJson(record: CloudEventRecord): Uint8Array {
  const out: JsonObject = { specversion: record.specversion, id: record.id, source: record.source, type: record.type };
  if (record.subject !== undefined) out.subject = record.subject;
  if (record.time !== undefined) out.time = formatTimestamp(record.time);
  const data = record.data;
  const dataType = data.kind === "proto" ? dataTypeFor(data.typeUrl) : null;
  if (dataType !== null) out.datacontenttype = JSON_DATA_CONTENT_TYPE;
  else if (record.datacontenttype !== undefined) out.datacontenttype = record.datacontenttype;
  if (record.dataschema !== undefined) out.dataschema = record.dataschema;
  for (const key in record.extensions) {
    const value = record.extensions[key];
    if (value !== undefined && !CORE_MEMBERS.has(key)) out[key] = extensionToJson(value);
  }
  // daprd sets traceid and traceparent to its own publish span unless the envelope already has
  // a traceid: writing the event's traceparent there keeps the workflow's trace (docs/contract.md §3).
  const traceparent = record.extensions[TRACEPARENT];
  if (typeof traceparent === "string" && traceparent !== "") out[TRACEID] = traceparent;
  if (dataType === null) out.data_base64 = toBase64(data.value);
  else {
    let decoded: protobuf.Message;
    try {
      decoded = dataType.decode(data.value);
    } catch (cause) {
      const detail = cause instanceof Error ? cause.message : String(cause);
      throw new BridgeError(
        ErrorCode.Undecodable,
        `the data of CloudEvent ${record.id} does not decode as ${dataType.name}: ${detail}`,
        { cause },
      );
    }
    out.data = toProto3Json(dataType, decoded);
  }
  return Buffer.from(JSON.stringify(out), "utf8");
}
