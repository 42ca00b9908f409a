import path from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { bridgeProtos, TypeName } from "../proto/protos.js";

// The hand-written shapes must name exactly the fields the protos give, recursively: a
// field renamed, added or dropped in proto/ without event-shapes.ts following fails here.

const SHAPES_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), "event-shapes.ts");

/** Types whose proto3 JSON form is a scalar (string, number, boolean): not walked. */
const SCALAR_JSON = new Set([".google.protobuf.Timestamp", ".google.protobuf.Duration", ".google.protobuf.StringValue"]);

/** protoc's json_name: each underscore dropped and the next letter upper-cased. */
function jsonName(field: protobuf.Field): string {
  return field.name.replace(/_([a-z0-9])/g, (_m: string, c: string) => c.toUpperCase());
}

/** Every field path of a proto type, in JSON names, down through message-typed fields. */
function protoPaths(type: protobuf.Type, prefix: string, seen: ReadonlySet<string>, out: string[]): string[] {
  for (const field of type.fieldsArray) {
    field.resolve();
    const at = `${prefix}.${jsonName(field)}`;
    out.push(at);
    const nested = field.resolvedType;
    if (nested instanceof protobuf.Type && !SCALAR_JSON.has(nested.fullName) && !(field instanceof protobuf.MapField) && !seen.has(nested.fullName)) {
      protoPaths(nested, at, new Set([...seen, nested.fullName]), out);
    }
  }
  return out;
}

/** Every property path of an exported interface of event-shapes.ts, down through object-typed properties. */
function shapePaths(typeName: string): string[] {
  const program = ts.createProgram([SHAPES_FILE], { strict: true, exactOptionalPropertyTypes: true, noEmit: true });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(SHAPES_FILE);
  if (source === undefined) throw new Error(`cannot read ${SHAPES_FILE}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const exported = moduleSymbol === undefined ? undefined : checker.getExportsOfModule(moduleSymbol).find((s) => s.name === typeName);
  if (exported === undefined) throw new Error(`event-shapes.ts does not export ${typeName}`);
  const out: string[] = [];
  const walk = (type: ts.Type, prefix: string, seen: ReadonlySet<ts.Type>): void => {
    for (const property of checker.getPropertiesOfType(type)) {
      const at = `${prefix}.${property.name}`;
      out.push(at);
      const propertyType = checker.getNonNullableType(checker.getTypeOfSymbol(property));
      const isRecord = checker.getIndexInfosOfType(propertyType).length > 0;
      const isObject = (propertyType.flags & ts.TypeFlags.Object) !== 0;
      if (isObject && !isRecord && !seen.has(propertyType)) walk(propertyType, at, new Set([...seen, propertyType]));
    }
  };
  walk(checker.getDeclaredTypeOfSymbol(exported), "", new Set());
  return out;
}

describe("event-shapes.ts", () => {
  it.each([
    ["WorkflowsEvent", TypeName.WorkflowsEvent],
    ["ActorsEvent", TypeName.ActorsEvent],
  ])("%s names exactly the fields of the proto", (shape, protoName) => {
    const type = bridgeProtos().lookupType(protoName);
    const expected = protoPaths(type, "", new Set([type.fullName]), []).sort();
    expect(shapePaths(shape).sort()).toEqual(expected);
  });
});
