import { toBase64 } from "../cloudevents/base64.js";
import type protobuf from "protobufjs";
import { toProto3Json } from "../cloudevents/proto-json.js";
import { formatTimestamp, longToNumber } from "../cloudevents/timestamp.js";
import { ACTORS_TYPE_URL, UNDECODABLE_EVENT_TYPE, WORKFLOWS_TYPE_URL } from "../cloudevents/types.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { io } from "../proto/generated/protos.js";
import { bridgeProtos, TypeName } from "../proto/protos.js";
import { isActorEventType, isWorkflowEventType } from "./delivery.js";
import type { Delivery, DeliveryShape } from "./delivery.js";

type Attributes = Record<string, string | number | boolean>;

/** What the shapes share before the data is read. */
interface Envelope {
  readonly id: string;
  readonly source: string;
  readonly specversion: string;
  readonly type: string;
  readonly optional: { subject?: string; time?: string; datacontenttype?: string; dataschema?: string };
  readonly extensions: Attributes;
  readonly shape: DeliveryShape;
}

/** A decoded `CloudEvent` (types generated from proto/: src/proto/generated/protos.ts). */
type DecodedCloudEvent = io.cloudevents.v1.CloudEvent;
/** A decoded attribute value; `attr` is protobufjs's getter of the set oneof member. */
type DecodedAttribute = io.cloudevents.v1.CloudEvent.CloudEventAttributeValue;

const OPTIONAL_ATTRIBUTES = ["subject", "time", "datacontenttype", "dataschema"] as const;
const JSON_CORE = new Set(["id", "source", "specversion", "type", ...OPTIONAL_ATTRIBUTES, "data", "data_base64"]);
const OPEN_BRACE = 0x7b;

function failure(shape: string, what: string, cause?: unknown): BridgeError {
  return new BridgeError(
    ErrorCode.Undecodable,
    `decodeDelivery tried ${shape}: ${what}`,
    cause === undefined ? {} : { cause },
  );
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function attributeValue(value: DecodedAttribute): string | number | boolean | undefined {
  switch (value.attr) {
    case "ce_boolean":
      return value.ce_boolean ?? undefined;
    case "ce_integer":
      return value.ce_integer ?? undefined;
    case "ce_string":
      return value.ce_string ?? undefined;
    case "ce_uri":
      return value.ce_uri ?? undefined;
    case "ce_uri_ref":
      return value.ce_uri_ref ?? undefined;
    case "ce_bytes":
      return value.ce_bytes === undefined || value.ce_bytes === null ? undefined : toBase64(value.ce_bytes);
    case "ce_timestamp": {
      const time = value.ce_timestamp;
      return time === undefined || time === null
        ? undefined
        : formatTimestamp({ seconds: longToNumber(time.seconds ?? 0), nanos: time.nanos ?? 0 });
    }
    default:
      return undefined;
  }
}

function decodeAs(type: protobuf.Type, bytes: Uint8Array, shape: string): unknown {
  try {
    return type.decode(bytes);
  } catch (error) {
    throw failure(shape, `the bytes are not a ${type.name}: ${message(error)}`, error);
  }
}

/** Builds the delivery from the envelope and the event's protobuf bytes (or the raw frame). */
function finish(envelope: Envelope, data: { bytes?: Uint8Array; json?: unknown }, shape: string): Delivery {
  const base = {
    id: envelope.id,
    source: envelope.source,
    specversion: envelope.specversion,
    ...envelope.optional,
    extensions: envelope.extensions,
    shape: envelope.shape,
  };
  const type = envelope.type;
  if (type === UNDECODABLE_EVENT_TYPE) {
    if (data.bytes === undefined) throw failure(shape, `a ${type} event carries no binary data`);
    return { ...base, type, data: data.bytes };
  }
  const workflow = isWorkflowEventType(type);
  if (!workflow && !isActorEventType(type)) {
    throw failure(
      shape,
      `type "${type}" is not one the bridge emits (io.dapr.workflows.*, io.dapr.actors.*, ${UNDECODABLE_EVENT_TYPE})`,
    );
  }
  let event = data.json;
  if (data.bytes !== undefined) {
    const dataType = bridgeProtos().lookupType(workflow ? TypeName.WorkflowsEvent : TypeName.ActorsEvent);
    event = toProto3Json(dataType, decodeAs(dataType, data.bytes, shape) as object);
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw failure(shape, `the data of a ${type} event is not an event object`);
  }
  // Both event shapes are objects of optional members: the type decides which one it is.
  return isWorkflowEventType(type) ? { ...base, type, event } : { ...base, type, event };
}

function fromProtobuf(bytes: Uint8Array, deliveryShape: DeliveryShape, shape: string): Delivery {
  const cloudEventType = bridgeProtos().lookupType(TypeName.CloudEvent);
  const event = decodeAs(cloudEventType, bytes, shape) as DecodedCloudEvent;
  if (event.spec_version === "" || event.id === "" || event.type === "") {
    throw failure(shape, "the CloudEvent lacks spec_version, id or type (is this a protobuf CloudEvent?)");
  }
  const optional: Envelope["optional"] = {};
  const extensions: Attributes = {};
  for (const [name, raw] of Object.entries(event.attributes)) {
    const value = attributeValue(raw);
    if (value === undefined) continue;
    if ((OPTIONAL_ATTRIBUTES as readonly string[]).includes(name))
      optional[name as (typeof OPTIONAL_ATTRIBUTES)[number]] = String(value);
    else extensions[name] = value;
  }
  const envelope: Envelope = {
    id: event.id,
    source: event.source,
    specversion: event.spec_version,
    type: event.type,
    optional,
    extensions,
    shape: deliveryShape,
  };
  const proto = event.proto_data ?? undefined;
  if (proto !== undefined) {
    const expected = isWorkflowEventType(event.type) ? WORKFLOWS_TYPE_URL : ACTORS_TYPE_URL;
    if (proto.type_url !== expected)
      throw failure(shape, `proto_data has type_url "${proto.type_url ?? ""}", expected "${expected}"`);
    return finish(envelope, { bytes: proto.value ?? new Uint8Array() }, shape);
  }
  const binary = event.binary_data ?? undefined;
  return finish(envelope, binary === undefined ? {} : { bytes: binary }, shape);
}

function str(object: Readonly<Record<string, unknown>>, name: string, shape: string): string {
  const value = object[name];
  if (typeof value !== "string")
    throw failure(
      shape,
      `member "${name}" is ${value === undefined ? "missing" : `a ${typeof value}`}, expected a string`,
    );
  return value;
}

function fromStructured(object: Readonly<Record<string, unknown>>, shape: string): Delivery {
  const optional: Envelope["optional"] = {};
  for (const name of OPTIONAL_ATTRIBUTES) {
    const value = object[name];
    if (typeof value === "string") optional[name] = value;
  }
  const extensions: Attributes = {};
  for (const [name, value] of Object.entries(object)) {
    if (JSON_CORE.has(name)) continue;
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") extensions[name] = value;
  }
  const envelope: Envelope = {
    id: str(object, "id", shape),
    source: str(object, "source", shape),
    specversion: str(object, "specversion", shape),
    type: str(object, "type", shape),
    optional,
    extensions,
    shape: "json",
  };
  const base64 = object.data_base64;
  if (typeof base64 === "string") return finish(envelope, { bytes: Buffer.from(base64, "base64") }, shape);
  if (envelope.type === UNDECODABLE_EVENT_TYPE && typeof object.data === "string") {
    return finish(envelope, { bytes: Buffer.from(object.data, "base64") }, shape);
  }
  return finish(envelope, { json: object.data }, shape);
}

function isBridgeType(type: unknown): boolean {
  return (
    typeof type === "string" && (type === UNDECODABLE_EVENT_TYPE || isWorkflowEventType(type) || isActorEventType(type))
  );
}

function fromJsonObject(object: Readonly<Record<string, unknown>>): Delivery {
  if (isBridgeType(object.type)) return fromStructured(object, "a structured JSON CloudEvent from the bridge");
  const shape = "a Dapr envelope holding a protobuf CloudEvent";
  const base64 =
    typeof object.data_base64 === "string"
      ? object.data_base64
      : typeof object.data === "string"
        ? object.data
        : undefined;
  if (base64 === undefined) {
    throw failure(
      shape,
      `type "${String(object.type)}" is not a bridge type, and there is neither data_base64 nor base64 data to read a protobuf CloudEvent from`,
    );
  }
  return fromProtobuf(Buffer.from(base64, "base64"), "dapr-envelope", shape);
}

function fromJsonText(text: string): Delivery {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw failure("a JSON CloudEvent", `the text is not JSON: ${message(error)}`, error);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw failure("a JSON CloudEvent", "the JSON is not an object");
  }
  return fromJsonObject(parsed as Record<string, unknown>);
}

/**
 * Decodes what a subscriber receives from the bridge into one typed {@link Delivery}.
 * Accepts (a) raw protobuf CloudEvent bytes (protobuf format, raw subscription or a
 * Kafka consumer), (b) Dapr's JSON envelope around them (`data_base64`, or `data` holding
 * base64) as an object, a string or UTF-8 bytes, and (c) a structured JSON CloudEvent as
 * the bridge publishes in the `json` format. Bytes starting with `{` are read as JSON.
 *
 * `event` is the workflow or actor event in proto3 canonical JSON shape (see
 * `event-shapes.ts`) whichever format it came in; fields of a newer bridge that these
 * types do not know are kept in the object.
 *
 * @throws BridgeError `undecodable` saying which shape was tried and what failed.
 */
export function decodeDelivery(input: Uint8Array | string | object): Delivery {
  if (input instanceof Uint8Array) {
    let first = 0;
    while (
      first < input.length &&
      (input[first] === 0x20 || input[first] === 0x0a || input[first] === 0x0d || input[first] === 0x09)
    )
      first++;
    if (input[first] === OPEN_BRACE)
      return fromJsonText(Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("utf8"));
    return fromProtobuf(input, "protobuf", "raw protobuf CloudEvent bytes");
  }
  if (typeof input === "string") return fromJsonText(input);
  if (typeof input === "object" && input !== null && !Array.isArray(input))
    return fromJsonObject(input as Record<string, unknown>);
  throw failure(
    "nothing",
    `the input is ${input === null ? "null" : Array.isArray(input) ? "an array" : `a ${typeof input}`}, expected bytes, a string or an object`,
  );
}
