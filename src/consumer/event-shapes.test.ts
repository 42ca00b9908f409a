import path from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { bridgeProtos, TypeName } from "../proto/protos.js";

// The hand-written JSON shapes must name exactly the fields the protos give, recursively, and
// give each the kind of value proto3 JSON writes for it: a field renamed, added, dropped or
// retyped in proto/ without event-shapes.ts following fails here. (The enum name unions are
// not checked here: event-shapes.ts takes them from the types generated from proto/.)
const SHAPES_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "event-shapes.ts");

/** Types whose proto3 JSON form is a string: not walked. */
const STRING_JSON = new Set([
  ".google.protobuf.Timestamp",
  ".google.protobuf.Duration",
  ".google.protobuf.StringValue",
]);
/** Scalar types proto3 JSON writes as strings (64-bit integers, base64 bytes). */
const STRING_SCALARS = new Set(["string", "bytes", "int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/** What proto3 JSON writes for a value: the kinds both sides are reduced to. */
type Kind = "string" | "number" | "boolean" | "enum" | "message" | "map" | "list";

/** protoc's json_name: each underscore dropped and the next letter upper-cased. */
function jsonName(field: protobuf.Field): string {
  return field.name.replace(/_([a-z0-9])/g, (_m: string, c: string) => c.toUpperCase());
}

function protoKind(field: protobuf.Field): Kind {
  if (field instanceof protobuf.MapField) return "map";
  if (field.repeated) return "list";
  const resolved = field.resolvedType;
  if (resolved instanceof protobuf.Enum) return "enum";
  if (resolved instanceof protobuf.Type) return STRING_JSON.has(resolved.fullName) ? "string" : "message";
  if (STRING_SCALARS.has(field.type)) return "string";
  return field.type === "bool" ? "boolean" : "number";
}

/** Every field path of a proto type, in JSON names, with its kind, down through message-typed fields. */
function protoPaths(type: protobuf.Type, prefix: string, seen: ReadonlySet<string>, out: string[]): string[] {
  for (const field of type.fieldsArray) {
    field.resolve();
    const at = `${prefix}.${jsonName(field)}`;
    const kind = protoKind(field);
    out.push(`${at}: ${kind}`);
    const nested = field.resolvedType;
    if (kind === "message" && nested instanceof protobuf.Type && !seen.has(nested.fullName)) {
      protoPaths(nested, at, new Set([...seen, nested.fullName]), out);
    }
  }
  return out;
}

function shapeKind(checker: ts.TypeChecker, type: ts.Type): Kind {
  if (checker.isArrayType(type)) return "list";
  if (
    type.isUnion() &&
    type.types.some((t) => t.isStringLiteral()) &&
    type.types.some((t) => (t.flags & ts.TypeFlags.Number) !== 0)
  )
    return "enum";
  if ((type.flags & ts.TypeFlags.StringLike) !== 0) return "string";
  if ((type.flags & ts.TypeFlags.NumberLike) !== 0) return "number";
  if ((type.flags & ts.TypeFlags.BooleanLike) !== 0) return "boolean";
  const index = checker.getIndexInfosOfType(type)[0];
  // An empty message is written `{}`: typed as a record of nothing.
  if (index !== undefined) return (index.type.flags & ts.TypeFlags.Never) !== 0 ? "message" : "map";
  return "message";
}

/** Every property path of an exported interface of event-shapes.ts, with its kind, down through object-typed properties. */
function shapePaths(typeName: string): string[] {
  const program = ts.createProgram([SHAPES_FILE], { strict: true, exactOptionalPropertyTypes: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SHAPES_FILE);
  if (source === undefined) throw new Error(`cannot read ${SHAPES_FILE}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const exported =
    moduleSymbol === undefined ? undefined : checker.getExportsOfModule(moduleSymbol).find((s) => s.name === typeName);
  if (exported === undefined) throw new Error(`event-shapes.ts does not export ${typeName}`);
  const out: string[] = [];
  const walk = (type: ts.Type, prefix: string, seen: ReadonlySet<ts.Type>): void => {
    for (const property of checker.getPropertiesOfType(type)) {
      const at = `${prefix}.${property.name}`;
      const propertyType = checker.getNonNullableType(checker.getTypeOfSymbol(property));
      const kind = shapeKind(checker, propertyType);
      out.push(`${at}: ${kind}`);
      if (kind === "message" && !seen.has(propertyType)) walk(propertyType, at, new Set([...seen, propertyType]));
    }
  };
  walk(checker.getDeclaredTypeOfSymbol(exported), "", new Set());
  return out;
}

describe("event-shapes.ts", () => {
  it.each([
    ["WorkflowsEvent", TypeName.WorkflowsEvent],
    ["ActorsEvent", TypeName.ActorsEvent],
  ])("%s names exactly the fields of the proto, each with the kind of its JSON value", (shape, protoName) => {
    const type = bridgeProtos().lookupType(protoName);
    const expected = protoPaths(type, "", new Set([type.fullName]), []).sort();
    expect(shapePaths(shape).sort()).toEqual(expected);
  });
});
