/**
 * The bridge's one protobuf reader. Every read of wire bytes goes through a protobufjs
 * `Reader`, whose cursor (`pos`, `len`) lives in the instance: nothing here keeps state
 * between calls. On top of it: walks that consume a field exactly as protobufjs's decoder
 * would without building anything ({@link walkPlan}), sub-message bounds
 * ({@link enterMessage}), and a bounded varint for fast paths ({@link readShortVarint}).
 */
import protobuf from "protobufjs";

const { BufferReader, Enum, Reader, types } = protobuf;

/** A 5-byte varint holds up to 35 bits: every length, and every timestamp daprd sends. */
const SHORT_VARINT_MAX_BYTES = 5;

/**
 * Reads an unsigned varint of at most 5 bytes that ends at or before `end`, moving
 * `reader.pos` past it. Unlike `reader.uint32()` it keeps all 35 bits and never throws:
 * a longer or cut varint gives -1, for a fast path to hand the input to the full walk.
 */
export function readShortVarint(reader: protobuf.Reader, end: number): number {
  const buf = reader.buf;
  let pos = reader.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < SHORT_VARINT_MAX_BYTES && pos < end; i++) {
    const byte = buf[pos++] ?? 0;
    value += (byte & 127) * scale;
    if (byte < 128) {
      reader.pos = pos;
      return value;
    }
    scale *= 128;
  }
  reader.pos = pos;
  return -1;
}

/**
 * Consumes one field's value, the tag already read, exactly as protobufjs's generated
 * decoder would read it (same bytes consumed, same errors), without building anything.
 */
type FieldWalker = (reader: protobuf.Reader, tag: number, depth: number) => void;

/** How to walk one message type: a walker per known field number; others are skipped by wire type. */
export interface WalkPlan {
  /** The message type's full name, for errors. */
  readonly name: string;
  /** Indexed by field number; `undefined` for numbers the type does not declare. */
  readonly fields: Array<FieldWalker | undefined>;
}

// The scalar reads protobufjs's decoder makes, by .proto type. Strings are skipped, not read.
const SCALARS: Readonly<Record<string, FieldWalker>> = {
  double: (r) => void r.double(),
  float: (r) => void r.float(),
  int32: (r) => void r.int32(),
  uint32: (r) => void r.uint32(),
  sint32: (r) => void r.sint32(),
  fixed32: (r) => void r.fixed32(),
  sfixed32: (r) => void r.sfixed32(),
  int64: (r) => skipLongVarint(r),
  uint64: (r) => skipLongVarint(r),
  sint64: (r) => skipLongVarint(r),
  fixed64: (r) => void r.fixed64(),
  sfixed64: (r) => void r.sfixed64(),
  bool: (r) => void r.bool(),
  string: (r) => skipString(r),
  bytes: (r) => void r.bytes(),
};

function indexOutOfRange(reader: protobuf.Reader, length: number): RangeError {
  return new RangeError(`index out of range: ${reader.pos} + ${length} > ${reader.len}`);
}

/**
 * Moves past a 64-bit varint exactly as protobufjs's `readLongVarint` (int64, uint64, sint64)
 * does, byte for byte and error for error, without allocating the Long it would return.
 * Its quirks are kept on purpose: with 4 or fewer bytes left, the 4th byte ends the varint.
 */
function skipLongVarint(reader: protobuf.Reader): void {
  const buf = reader.buf;
  if (reader.len - reader.pos > 4) {
    for (let i = 0; i < 5; ++i) if ((buf[reader.pos++] ?? 128) < 128) return;
  } else {
    for (let i = 0; i < 3; ++i) {
      if (reader.pos >= reader.len) throw indexOutOfRange(reader, 1);
      if ((buf[reader.pos++] ?? 128) < 128) return;
    }
    reader.pos++;
    return;
  }
  const fast = reader.len - reader.pos > 4;
  for (let i = 0; i < 5; ++i) {
    if (!fast && reader.pos >= reader.len) throw indexOutOfRange(reader, 1);
    if ((buf[reader.pos++] ?? 128) < 128) return;
  }
  throw new Error("invalid varint encoding");
}

/**
 * Moves past a string field's value as `reader.string()` would, without decoding it: a
 * Buffer reader clamps a length that runs past the end (protobufjs's `BufferReader`
 * does), a plain reader throws.
 */
export function skipString(reader: protobuf.Reader): void {
  const length = reader.uint32();
  if (reader instanceof BufferReader) {
    reader.pos = Math.min(reader.pos + length, reader.len);
    return;
  }
  if (reader.pos + length > reader.len) throw indexOutOfRange(reader, length);
  reader.pos += length;
}

/**
 * Enters a length-delimited sub-message at `depth` as the generated decoder does: reads
 * its length, checks the nesting limit and the bounds, and narrows `reader.len` to its end.
 * Walk its fields while `reader.pos < reader.len`, then call {@link leaveMessage}.
 *
 * @returns The enclosing `reader.len`, to hand to {@link leaveMessage}.
 */
export function enterMessage(reader: protobuf.Reader, depth: number): number {
  const length = reader.uint32();
  if (depth > Reader.recursionLimit) throw new Error("maximum nesting depth exceeded");
  const end = reader.pos + length;
  if (end > reader.len) throw indexOutOfRange(reader, length);
  const outer = reader.len;
  reader.len = end;
  return outer;
}

/** Leaves a sub-message entered with {@link enterMessage}; its last field must end exactly at its end. */
export function leaveMessage(reader: protobuf.Reader, outer: number): void {
  if (reader.pos !== reader.len) throw indexOutOfRange(reader, 0);
  reader.len = outer;
}

/** Consumes one field of a message of `plan` at `depth`, the tag already read. */
export function walkField(reader: protobuf.Reader, plan: WalkPlan, tag: number, depth: number): void {
  const walker = plan.fields[tag >>> 3];
  if (walker === undefined) reader.skipType(tag & 7, depth);
  else walker(reader, tag, depth);
}

/** Walks the fields of the current message (up to `reader.len`) at `depth`. */
export function walkFields(reader: protobuf.Reader, plan: WalkPlan, depth: number): void {
  while (reader.pos < reader.len) walkField(reader, plan, reader.uint32(), depth);
}

/** Consumes a length-delimited sub-message of `plan` at `depth`. */
export function walkMessage(reader: protobuf.Reader, plan: WalkPlan, depth: number): void {
  const outer = enterMessage(reader, depth);
  walkFields(reader, plan, depth);
  leaveMessage(reader, outer);
}

function valueWalker(type: string, nested: WalkPlan | undefined): FieldWalker {
  if (nested !== undefined) return (r, _tag, depth) => walkMessage(r, nested, depth + 1);
  const scalar = SCALARS[type];
  if (scalar === undefined) throw new Error(`protobuf type ${type} has no scalar reader; the walk plans need updating`);
  return scalar;
}

/** A map field, walked as the generated decoder walks it: entry bounds, keys 1, values 2. */
function mapWalker(keyType: string, value: FieldWalker): FieldWalker {
  const key = valueWalker(keyType, undefined);
  return (r, _tag, depth) => {
    const end = r.len;
    const entryEnd = r.uint32() + r.pos;
    if (entryEnd > r.len) throw indexOutOfRange(r, entryEnd - r.pos);
    r.len = entryEnd;
    while (r.pos < entryEnd) {
      const tag = r.uint32();
      const field = tag >>> 3;
      if (field === 1) key(r, tag, depth);
      else if (field === 2) value(r, tag, depth);
      else r.skipType(tag & 7, depth);
    }
    if (r.pos !== entryEnd) throw indexOutOfRange(r, 0);
    r.len = end;
  };
}

/** A repeated field: packed when its wire type says so and its type can be, else one element. */
function repeatedWalker(element: FieldWalker, packable: boolean): FieldWalker {
  if (!packable) return element;
  return (r, tag, depth) => {
    if ((tag & 7) !== 2) {
      element(r, tag, depth);
      return;
    }
    const end = r.len;
    const packedEnd = r.uint32() + r.pos;
    if (packedEnd > r.len) throw indexOutOfRange(r, packedEnd - r.pos);
    r.len = packedEnd;
    while (r.pos < packedEnd) element(r, tag, depth);
    if (r.pos !== packedEnd) throw indexOutOfRange(r, 0);
    r.len = end;
  };
}

const PACKABLE: Readonly<Record<string, number | undefined>> = types.packed;
const plans = new Map<protobuf.Type, WalkPlan>();

/**
 * The walk plan of a message type, built once from its reflection: every declared field is
 * read as protobufjs's generated decoder reads it (by declared type, whatever the wire type;
 * maps and packed fields bounded; nested messages checked to end exactly at their length),
 * so a walk accepts and rejects exactly the bytes `type.decode` does.
 *
 * @throws Error when the type has a group (proto2 `delimited`) field, which no walk handles.
 */
export function walkPlan(type: protobuf.Type): WalkPlan {
  const known = plans.get(type);
  if (known !== undefined) return known;
  const plan: WalkPlan = { name: type.fullName, fields: [] };
  plans.set(type, plan); // before the fields: message types may nest themselves
  for (const field of type.fieldsArray) {
    field.resolve();
    if (field.delimited)
      throw new Error(`${type.fullName}.${field.name} is a group; the attribute scan cannot walk it`);
    const resolved = field.resolvedType;
    const nested = resolved instanceof protobuf.Type ? walkPlan(resolved) : undefined;
    const scalarType = resolved instanceof Enum ? "int32" : field.type;
    const value = valueWalker(scalarType, nested);
    let walker: FieldWalker;
    if (field instanceof protobuf.MapField) walker = mapWalker(field.keyType, value);
    else if (field.repeated) walker = repeatedWalker(value, nested === undefined && PACKABLE[scalarType] !== undefined);
    else walker = value;
    plan.fields[field.id] = walker;
  }
  return plan;
}
