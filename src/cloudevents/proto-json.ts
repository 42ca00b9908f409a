import protobuf from "protobufjs";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { formatTimestamp, longToNumber } from "./timestamp.js";
import { toBase64 } from "./base64.js";
import type { LongLike } from "./timestamp.js";

/** A JSON value. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A JSON object. */
export type JsonObject = { [key: string]: JsonValue };

/** A decoded message as protobufjs hands it out: fields by their `.proto` names. */
type Decoded = Readonly<Record<string, unknown>>;

const LONG_TYPES: ReadonlySet<string> = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);
const WRAPPERS: ReadonlySet<string> = new Set(
  ["Double", "Float", "Int64", "UInt64", "Int32", "UInt32", "Bool", "String", "Bytes"].map(
    (w) => `.google.protobuf.${w}Value`,
  ),
);

/** How one field is written, worked out once per type. */
interface FieldPlan {
  readonly name: string;
  readonly jsonName: string;
  readonly field: protobuf.Field;
  /** Fields in a oneof (and proto3 `optional`) are written whenever set, even to a default. */
  readonly presence: boolean;
  readonly map: protobuf.MapField | undefined;
  readonly repeated: boolean;
  readonly message: protobuf.Type | undefined;
}

/** How one message type is written, worked out once (reflection getters such as `fullName` are slow). */
interface TypePlan {
  /** The full name (with a leading dot) when it is a well-known type with its own JSON form. */
  readonly wellKnown: string | undefined;
  readonly fields: readonly FieldPlan[];
}

const WELL_KNOWN: ReadonlySet<string> = new Set([
  ".google.protobuf.Timestamp",
  ".google.protobuf.Duration",
  ".google.protobuf.Any",
  ".google.protobuf.FieldMask",
  ...WRAPPERS,
]);

const plans = new WeakMap<protobuf.Type, TypePlan>();

/** protoc's json_name rule: drop each underscore and upper-case the letter after it. */
function jsonNameOf(field: protobuf.Field): string {
  const explicit: unknown = field.options?.json_name;
  if (typeof explicit === "string") return explicit;
  let out = "";
  let upper = false;
  for (const ch of field.name) {
    if (ch === "_") upper = true;
    else {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    }
  }
  return out;
}

function planOf(type: protobuf.Type): TypePlan {
  let plan = plans.get(type);
  if (plan === undefined) {
    const fullName = type.fullName;
    plan = {
      wellKnown: WELL_KNOWN.has(fullName) ? fullName : undefined,
      fields: type.fieldsArray.map((field) => {
        field.resolve();
        return {
          name: field.name,
          jsonName: jsonNameOf(field),
          field,
          presence: field.partOf !== null && field.partOf !== undefined,
          map: field instanceof protobuf.MapField ? field : undefined,
          repeated: field.repeated,
          message: field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined,
        };
      }),
    };
    plans.set(type, plan);
  }
  return plan;
}

function isLongLike(value: unknown): value is LongLike {
  return typeof value === "object" && value !== null && "low" in value && "high" in value;
}

function isDefault(value: unknown): boolean {
  if (value === "" || value === 0 || value === false) return true;
  if (value instanceof Uint8Array) return value.length === 0;
  if (Array.isArray(value)) return value.length === 0;
  if (isLongLike(value)) return value.low === 0 && value.high === 0;
  return false;
}

function numberToJson(value: number): JsonValue {
  if (Number.isFinite(value)) return value;
  return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}

/** One value of a field (not a list or a map). */
function valueToJson(field: protobuf.Field, value: unknown): JsonValue {
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Type) return messageToJson(resolved, value as Decoded);
  if (resolved instanceof protobuf.Enum)
    return typeof value === "number" ? (resolved.valuesById[value] ?? value) : String(value);
  if (LONG_TYPES.has(field.type)) return isLongLike(value) ? String(longToNumberExact(value)) : String(value);
  if (value instanceof Uint8Array) return toBase64(value);
  if (typeof value === "number") return numberToJson(value);
  if (typeof value === "string" || typeof value === "boolean") return value;
  throw new BridgeError(
    ErrorCode.Internal,
    `field ${field.fullName} holds a ${typeof value}, which proto3 JSON cannot write`,
  );
}

/** Exact decimal of a 64-bit value, also past 2^53. */
function longToNumberExact(value: LongLike): string {
  const approx = longToNumber(value);
  if (Number.isSafeInteger(approx)) return String(approx);
  const unsigned = value.unsigned === true;
  const big = (BigInt(unsigned ? value.high >>> 0 : value.high) << 32n) | BigInt(value.low >>> 0);
  return String(unsigned ? big : BigInt.asIntN(64, big));
}

function mapKey(field: protobuf.MapField, key: string): string {
  // protobufjs keys 64-bit maps by an 8-character hash of the value.
  if (!LONG_TYPES.has(field.keyType)) return key;
  const value = protobuf.util.longFromHash(key, field.keyType.startsWith("u"));
  return typeof value === "number" ? String(value) : longToNumberExact(value);
}

function wellKnownToJson(type: protobuf.Type, message: Decoded): JsonValue | undefined {
  const name = planOf(type).wellKnown;
  if (name === undefined) return undefined;
  if (name === ".google.protobuf.Timestamp") {
    return formatTimestamp({
      seconds: longToNumber((message.seconds ?? 0) as LongLike | number),
      nanos: (message.nanos ?? 0) as number,
    });
  }
  if (name === ".google.protobuf.Duration") {
    const seconds = longToNumber((message.seconds ?? 0) as LongLike | number);
    const nanos = (message.nanos ?? 0) as number;
    const negative = seconds < 0 || nanos < 0;
    const fraction = nanos === 0 ? "" : `.${String(Math.abs(nanos)).padStart(9, "0").replace(/0+$/, "")}`;
    return `${negative ? "-" : ""}${Math.abs(seconds)}${fraction}s`;
  }
  if (WRAPPERS.has(name)) {
    const field = type.fields.value;
    const value = message.value;
    if (field === undefined) return null;
    return value === undefined || value === null ? valueToJson(field, field.defaultValue) : valueToJson(field, value);
  }
  if (name === ".google.protobuf.Any") return anyToJson(type, message);
  if (name === ".google.protobuf.FieldMask") {
    const paths = (message.paths ?? []) as string[];
    return paths.map((p) => p.replace(/_([a-z])/g, (_m: string, c: string) => c.toUpperCase())).join(",");
  }
  return undefined;
}

function anyToJson(anyType: protobuf.Type, message: Decoded): JsonValue {
  const typeUrl = typeof message.type_url === "string" ? message.type_url : "";
  const value = message.value instanceof Uint8Array ? message.value : new Uint8Array();
  const typeName = typeUrl.slice(typeUrl.lastIndexOf("/") + 1);
  const inner = typeName === "" ? null : anyType.root.lookup(typeName);
  if (!(inner instanceof protobuf.Type)) {
    // The type is unknown here: keep its bytes rather than fail (not canonical, but lossless).
    return { "@type": typeUrl, value: toBase64(value) };
  }
  const decoded = inner.decode(value) as unknown as Decoded;
  const special = wellKnownToJson(inner, decoded);
  if (special !== undefined) return { "@type": typeUrl, value: special };
  return { "@type": typeUrl, ...objectToJson(inner, decoded) };
}

function objectToJson(type: protobuf.Type, message: Decoded): JsonObject {
  const out: JsonObject = {};
  for (const plan of planOf(type).fields) {
    const value = message[plan.name];
    if (value === undefined || value === null) continue;
    // Prototypes may hold defaults for oneof members: only a field of its own is set.
    if (plan.presence && !Object.hasOwn(message, plan.name)) continue;
    const field = plan.field;
    const mapField = plan.map;
    if (mapField !== undefined) {
      const entries = Object.entries(value as Record<string, unknown>);
      if (entries.length === 0) continue;
      const map: JsonObject = {};
      for (const [key, entry] of entries) map[mapKey(mapField, key)] = valueToJson(field, entry);
      out[plan.jsonName] = map;
    } else if (plan.repeated) {
      const list = value as readonly unknown[];
      if (list.length === 0) continue;
      out[plan.jsonName] = list.map((item) => valueToJson(field, item));
    } else if (plan.presence || plan.message !== undefined || !isDefault(value)) {
      // Set members of a oneof (and proto3 optional fields) are written even at a default.
      out[plan.jsonName] = valueToJson(field, value);
    }
  }
  return out;
}

function messageToJson(type: protobuf.Type, message: Decoded): JsonValue {
  return wellKnownToJson(type, message) ?? objectToJson(type, message);
}

/**
 * Renders a message decoded by protobufjs (with `keepCase` field names) as proto3 canonical
 * JSON: lowerCamelCase names (or `json_name`), fields at their default omitted (except oneof
 * members and proto3 `optional` fields that are set), enums by name (unknown numbers as
 * numbers), 64-bit integers as decimal strings, bytes as base64, maps as objects,
 * `Timestamp` as RFC 3339 "Z", `Duration` as "1.5s", wrappers as their plain value,
 * `FieldMask` as a string and `Any` with `@type`. Unknown fields are not rendered: JSON
 * has no place for them. An `Any` whose type is not in the root keeps its bytes as
 * `{"@type", "value": <base64>}`.
 */
export function toProto3Json(type: protobuf.Type, message: object): JsonValue {
  return messageToJson(type, message as Decoded);
}
