/**
 * The bridge's one protobuf writer. A message is sized first and then written into one
 * buffer allocated at its final size; what the sizing pass measures (lengths, encoded
 * strings) waits in the writer instance for the writing pass, so nothing is kept between
 * messages outside the instance. The bytes are those protobufjs's `BufferWriter` writes
 * for the same calls.
 */
import protobuf from "protobufjs";

const { utf8 } = protobuf.util;

/**
 * Non-ASCII strings shorter than this are written by protobufjs's JS UTF-8 writer, longer
 * ones by Buffer: protobufjs's own cut, kept because the two differ on lone surrogates.
 */
const SHORT_STRING = 40;
/** ASCII strings and byte arrays shorter than this are copied by a JS loop, longer ones natively. */
const LOOP_MAX = 12;
const TWO_32 = 4_294_967_296;
const EMPTY = Buffer.alloc(0);

/** Bytes of `value >>> 0` as a varint, as protobufjs `Writer.uint32` writes it. */
export function uint32Size(value: number): number {
  const v = value >>> 0;
  return v < 128 ? 1 : v < 16_384 ? 2 : v < 2_097_152 ? 3 : v < 268_435_456 ? 4 : 5;
}

/** Bytes of an int32 varint, as protobufjs `Writer.int32` writes it: negative values take 10. */
export function int32Size(value: number): number {
  const v = value | 0;
  return v < 0 ? 10 : uint32Size(v);
}

/** Bytes of a string in UTF-8 (a lone surrogate counts 3, as both Buffer and protobufjs count it). */
export function utf8Size(value: string): number {
  return Buffer.byteLength(value, "utf8");
}

/** Bytes of a length-delimited field (tag of one byte) whose value is `length` bytes. */
export function delimitedSize(length: number): number {
  return 1 + uint32Size(length) + length;
}

/**
 * The UTF-8 bytes of a string, as {@link PbWriter.string} writes them: for strings encoded
 * once and reused (attribute names, event types, schemas).
 */
export function encodeUtf8(value: string): Uint8Array {
  const length = utf8Size(value);
  const bytes = Buffer.allocUnsafe(length);
  if (value.length < SHORT_STRING) utf8.write(value, bytes, 0);
  else bytes.write(value, 0, length, "utf8");
  return bytes;
}

/**
 * Writes protobuf wire format in two passes. Sizing: the caller adds up the message's size
 * with the `*Size` functions and {@link PbWriter.int64Size}, and puts each length and
 * pre-encoded chunk the writing pass needs ({@link PbWriter.putLength},
 * {@link PbWriter.putChunk}). Writing: {@link PbWriter.alloc} with the total, then the
 * fields in the same order, taking the lengths and chunks back as they were put.
 */
export class PbWriter {
  private buf: Buffer = EMPTY;
  private pos = 0;
  // The two 32-bit halves of the last 64-bit value split, as protobufjs's LongBits.fromNumber
  // splits it (two's complement for negatives); always consumed right after the split.
  private lo = 0;
  private hi = 0;
  private readonly lengths: number[] = [];
  private readonly chunks: Uint8Array[] = [];
  private nextLength = 0;
  private nextChunk = 0;

  /** Sizing: records a length for the writing pass and returns it. */
  putLength(length: number): number {
    this.lengths.push(length);
    return length;
  }

  /** Sizing: records pre-encoded bytes for the writing pass and returns their length. */
  putChunk(bytes: Uint8Array): number {
    this.chunks.push(bytes);
    return bytes.length;
  }

  /** Writing: the next length recorded by {@link putLength}. */
  takeLength(): number {
    const length = this.lengths[this.nextLength++];
    if (length === undefined) throw new Error("protobuf writer took more lengths than were sized");
    return length;
  }

  /** Writing: the next bytes recorded by {@link putChunk}. */
  takeChunk(): Uint8Array {
    const bytes = this.chunks[this.nextChunk++];
    if (bytes === undefined) throw new Error("protobuf writer took more chunks than were sized");
    return bytes;
  }

  /** Bytes of an int64 varint of a number, as protobufjs `Writer.int64` writes it. */
  int64Size(value: number): number {
    this.split64(value);
    const part0 = this.lo;
    const part1 = ((this.lo >>> 28) | (this.hi << 4)) >>> 0;
    const part2 = this.hi >>> 24;
    if (part2 !== 0) return part2 < 128 ? 9 : 10;
    if (part1 !== 0) return part1 < 16_384 ? (part1 < 128 ? 5 : 6) : part1 < 2_097_152 ? 7 : 8;
    return part0 < 16_384 ? (part0 < 128 ? 1 : 2) : part0 < 2_097_152 ? 3 : 4;
  }

  /** Ends the sizing pass: allocates the buffer the writing pass fills, of exactly `size` bytes. */
  alloc(size: number): this {
    this.buf = Buffer.allocUnsafe(size);
    this.pos = 0;
    return this;
  }

  /** Writes `value >>> 0` as a varint (tags, lengths, uint32). */
  uint32(value: number): this {
    const buf = this.buf;
    let v = value >>> 0;
    let pos = this.pos;
    while (v > 127) {
      buf[pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    buf[pos++] = v;
    this.pos = pos;
    return this;
  }

  /** Writes an int32 varint; negative values sign-extended to 10 bytes. */
  int32(value: number): this {
    const v = value | 0;
    if (v >= 0) return this.uint32(v);
    this.split64(v);
    return this.varint64();
  }

  /** Writes an int64 varint of a number. */
  int64(value: number): this {
    this.split64(value);
    return this.varint64();
  }

  /** Writes a bool varint. */
  bool(value: boolean): this {
    this.buf[this.pos++] = value ? 1 : 0;
    return this;
  }

  /** Writes a length-prefixed string; `byteLength` is its {@link utf8Size}. */
  string(value: string, byteLength: number): this {
    this.uint32(byteLength);
    if (byteLength === 0) return this;
    const buf = this.buf;
    const start = this.pos;
    // As many bytes as UTF-16 units means ASCII only: one byte each, whichever way written.
    if (byteLength === value.length) {
      if (byteLength < LOOP_MAX) for (let i = 0; i < byteLength; i++) buf[start + i] = value.charCodeAt(i);
      else buf.write(value, start, byteLength, "latin1");
    } else if (value.length < SHORT_STRING) utf8.write(value, buf, start);
    else buf.write(value, start, byteLength, "utf8");
    this.pos = start + byteLength;
    return this;
  }

  /** Writes length-prefixed bytes. */
  bytes(value: Uint8Array): this {
    return this.uint32(value.length).raw(value);
  }

  /** Writes bytes as they are: an already encoded field. */
  raw(value: Uint8Array): this {
    const length = value.length;
    const buf = this.buf;
    const start = this.pos;
    if (length < LOOP_MAX) for (let i = 0; i < length; i++) buf[start + i] = value[i] ?? 0;
    else buf.set(value, start);
    this.pos = start + length;
    return this;
  }

  /**
   * The written message.
   *
   * @throws Error when the bytes written differ from the size given: a sizing bug.
   */
  finish(): Buffer {
    if (this.pos !== this.buf.length)
      throw new Error(`protobuf writer sized ${this.buf.length} bytes but wrote ${this.pos}`);
    return this.buf;
  }

  private split64(value: number): void {
    if (value === 0) {
      this.lo = 0;
      this.hi = 0;
      return;
    }
    const negative = value < 0;
    const magnitude = negative ? -value : value;
    let lo = magnitude >>> 0;
    let hi = ((magnitude - lo) / TWO_32) >>> 0;
    if (negative) {
      hi = ~hi >>> 0;
      lo = ~lo >>> 0;
      if (++lo > 4_294_967_295) {
        lo = 0;
        if (++hi > 4_294_967_295) hi = 0;
      }
    }
    this.lo = lo;
    this.hi = hi;
  }

  private varint64(): this {
    const buf = this.buf;
    let lo = this.lo;
    let hi = this.hi;
    let pos = this.pos;
    while (hi !== 0) {
      buf[pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      buf[pos++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    buf[pos++] = lo;
    this.pos = pos;
    return this;
  }
}
