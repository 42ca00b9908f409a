import protobuf from "protobufjs";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Timestamp } from "./record.js";
import { bridgeType, fieldNumber, fieldTag, TypeName } from "../proto/protos.js";
import { readShortVarint } from "../proto/wire/reader.js";
import { longToNumber } from "./timestamp.js";

const { Reader } = protobuf;

/** Wire type of length-delimited fields (messages, strings, bytes). */
const LENGTH_DELIMITED = 2;
/** Wire type of varint fields. */
const VARINT = 0;

// Field numbers and tags of EventRequest, Event and Timestamp, from proto/.
const TIME = fieldNumber(TypeName.EventRequest, "time");
const EVENT = fieldNumber(TypeName.EventRequest, "event");
const WORKFLOW = fieldNumber(TypeName.Event, "workflow");
const ACTOR = fieldNumber(TypeName.Event, "actor");
const SECONDS = fieldNumber("google.protobuf.Timestamp", "seconds");
const NANOS = fieldNumber("google.protobuf.Timestamp", "nanos");
const TAG_TIME = fieldTag(TypeName.EventRequest, "time");
const TAG_EVENT = fieldTag(TypeName.EventRequest, "event");
const TAG_SECONDS = fieldTag("google.protobuf.Timestamp", "seconds");
const TAG_NANOS = fieldTag("google.protobuf.Timestamp", "nanos");
const TAG_WORKFLOW = fieldTag(TypeName.Event, "workflow");
const TAG_ACTOR = fieldTag(TypeName.Event, "actor");
/** The `Event` number ranges proto/ reserves (for job, component, dapr and health events). */
const RESERVED_RANGES = (bridgeType(TypeName.Event).reserved ?? []).filter(
  (range): range is number[] => typeof range !== "string",
);

/** Whether `Event` reserves a number; ranges are inclusive (protobufjs's `isReservedId` drops the end). */
function isReservedMember(field: number): boolean {
  return RESERVED_RANGES.some(([from = 0, to = -1]) => field >= from && field <= to);
}

/** The smallest and largest seconds of a valid google.protobuf.Timestamp (0001-01-01 to 9999-12-31). */
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;

/** Which member of the `Event` oneof a frame carries. */
export type EventMember = "workflow" | "actor";

/** What {@link parseFrame} finds in an `EventRequest` frame without decoding the inner event. */
export interface ParsedFrame {
  /** `EventRequest.time`; undefined when the frame has none. */
  readonly time: Timestamp | undefined;
  /** The `Event` member that is set. */
  readonly member: EventMember;
  /**
   * The `WorkflowsEvent` or `ActorsEvent` bytes, a view into the frame (no copy): they carry
   * every field of the original, known or not.
   */
  readonly bytes: Uint8Array;
}

/** A `[start, end)` byte range of a field's value within a buffer. */
interface Span {
  readonly start: number;
  readonly end: number;
}

function undecodable(message: string, cause?: unknown): BridgeError {
  return new BridgeError(ErrorCode.Undecodable, message, cause === undefined ? {} : { cause });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readTag(reader: protobuf.Reader, message: string): number {
  const at = reader.pos;
  let tag: number;
  try {
    tag = reader.uint32();
  } catch (error) {
    throw undecodable(
      `${message} is truncated: a field tag at offset ${at} ends past the end (${reason(error)})`,
      error,
    );
  }
  if (tag >>> 3 === 0)
    throw undecodable(`${message} has a field with number 0 at offset ${at}, which protobuf forbids`);
  return tag;
}

/** Reads the length prefix of a length-delimited field and moves past its value. */
function readSpan(reader: protobuf.Reader, wireType: number, what: string): Span {
  if (wireType !== LENGTH_DELIMITED) {
    throw undecodable(`${what} has wire type ${wireType}, expected ${LENGTH_DELIMITED} (length-delimited)`);
  }
  let length: number;
  try {
    length = reader.uint32();
  } catch (error) {
    throw undecodable(`${what} is truncated: its length prefix ends past the end (${reason(error)})`, error);
  }
  const start = reader.pos;
  const end = start + length;
  if (end > reader.len) {
    throw undecodable(
      `${what} is truncated: it declares ${length} bytes at offset ${start}, but ${reader.len - start} remain`,
    );
  }
  reader.pos = end;
  return { start, end };
}

function skipField(reader: protobuf.Reader, wireType: number, what: string): void {
  try {
    reader.skipType(wireType);
  } catch (error) {
    throw undecodable(`${what} cannot be skipped: ${reason(error)}`, error);
  }
}

function readVarintField(
  reader: protobuf.Reader,
  wireType: number,
  what: string,
  read: (r: protobuf.Reader) => number | protobuf.Long,
): number {
  if (wireType !== VARINT) throw undecodable(`${what} has wire type ${wireType}, expected ${VARINT} (varint)`);
  try {
    return longToNumber(read(reader));
  } catch (error) {
    throw undecodable(`${what} is truncated: ${reason(error)}`, error);
  }
}

const readInt64 = (r: protobuf.Reader): protobuf.Long => r.int64();
const readInt32 = (r: protobuf.Reader): number => r.int32();

function parseTimestamp(buffer: Uint8Array, span: Span): Timestamp {
  const what = `EventRequest field ${TIME} (time)`;
  const reader = Reader.create(buffer.subarray(span.start, span.end));
  let seconds = 0;
  let nanos = 0;
  while (reader.pos < reader.len) {
    const tag = readTag(reader, what);
    const field = tag >>> 3;
    if (field === SECONDS) seconds = readVarintField(reader, tag & 7, `${what} seconds`, readInt64);
    else if (field === NANOS) nanos = readVarintField(reader, tag & 7, `${what} nanos`, readInt32);
    else skipField(reader, tag & 7, `${what} field ${field}`);
  }
  if (seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw undecodable(`${what} has seconds ${seconds}, outside the Timestamp range 0001-01-01 to 9999-12-31`);
  }
  if (nanos < 0 || nanos > 999_999_999) throw undecodable(`${what} has nanos ${nanos}, outside 0 to 999999999`);
  return { seconds, nanos };
}

/** Finds the set member of an `Event`; the last one wins, as protobuf's oneof rule says. */
function parseEvent(buffer: Uint8Array, span: Span): { member: EventMember; bytes: Uint8Array } {
  const reader = Reader.create(buffer.subarray(span.start, span.end));
  let member: EventMember | undefined;
  let value: Span | undefined;
  while (reader.pos < reader.len) {
    const tag = readTag(reader, "Event");
    const field = tag >>> 3;
    if (field === WORKFLOW || field === ACTOR) {
      member = field === WORKFLOW ? "workflow" : "actor";
      value = readSpan(reader, tag & 7, `Event field ${field} (${member})`);
    } else if (isReservedMember(field)) {
      throw undecodable(
        `Event has member ${field}, reserved for job, component, dapr and health events the bridge does not handle yet`,
      );
    } else {
      throw undecodable(
        `Event has unknown member ${field}; the bridge knows ${WORKFLOW} (workflow) and ${ACTOR} (actor)`,
      );
    }
  }
  if (member === undefined || value === undefined) {
    throw undecodable(`Event has no member set; expected field ${WORKFLOW} (workflow) or ${ACTOR} (actor)`);
  }
  const base = span.start;
  return { member, bytes: buffer.subarray(base + value.start, base + value.end) };
}

/** Reads `[seconds][nanos]` in that order, each at most once, up to `end`; undefined otherwise. */
function readCommonTimestamp(reader: protobuf.Reader, end: number): Timestamp | undefined {
  const buf = reader.buf;
  let seconds = 0;
  let nanos = 0;
  if (reader.pos < end && buf[reader.pos] === TAG_SECONDS) {
    reader.pos++;
    seconds = readShortVarint(reader, end);
    if (seconds < 0) return undefined;
  }
  if (reader.pos < end && buf[reader.pos] === TAG_NANOS) {
    reader.pos++;
    nanos = readShortVarint(reader, end);
    // Beyond the nanos range (or int32) the full walk gives the precise error.
    if (nanos < 0 || nanos > 999_999_999) return undefined;
  }
  return reader.pos === end ? { seconds, nanos } : undefined;
}

/**
 * The fast branch of {@link parseFrame}: a frame of exactly `[time][event]` (time optional)
 * whose time holds `seconds` then `nanos` (each optional, non-negative, at most 5 varint
 * bytes) and whose `Event` holds exactly one member gives the very result of the full walk
 * ({@link parseAnyFrame}) with no sub-readers or views; any other frame, well-formed or not,
 * gives `undefined`, and the full walk decides and names what is wrong.
 */
function readCommonFrame(reader: protobuf.Reader): ParsedFrame | undefined {
  const frame = reader.buf;
  const length = reader.len;
  let time: Timestamp | undefined;
  if (frame[0] === TAG_TIME) {
    reader.pos = 1;
    const timeLength = readShortVarint(reader, length);
    if (timeLength < 0 || reader.pos + timeLength > length) return undefined;
    time = readCommonTimestamp(reader, reader.pos + timeLength);
    if (time === undefined) return undefined;
  }
  if (reader.pos >= length || frame[reader.pos++] !== TAG_EVENT) return undefined;
  const eventLength = readShortVarint(reader, length);
  if (eventLength < 0 || reader.pos + eventLength !== length || reader.pos >= length) return undefined;
  const memberTag = frame[reader.pos++];
  if (memberTag !== TAG_WORKFLOW && memberTag !== TAG_ACTOR) return undefined;
  const memberLength = readShortVarint(reader, length);
  if (memberLength < 0 || reader.pos + memberLength !== length) return undefined;
  return { time, member: memberTag === TAG_WORKFLOW ? "workflow" : "actor", bytes: frame.subarray(reader.pos, length) };
}

/**
 * Walks one raw `EventRequest` frame (docs/contract.md §2) by field number and wire type, without
 * decoding the inner event: returns its time and a view of the inner event's bytes.
 * Unknown `EventRequest` fields are skipped. When a field repeats, the last one wins.
 * Frames of the usual layout take a fast branch of the same walk, with the same result.
 *
 * @throws BridgeError `undecodable` when the frame is truncated or malformed, has no
 *   `event`, or its `Event` has no member, a reserved member (3–6) or an unknown one.
 */
export function parseFrame(frame: Uint8Array): ParsedFrame {
  const reader = Reader.create(frame);
  const common = readCommonFrame(reader);
  if (common !== undefined) return common;
  reader.pos = 0;
  return walkFrame(reader, frame);
}

/**
 * {@link parseFrame} without the fast branch: any layout, and the precise error for a bad
 * frame. Exported as the reference the differential tests compare the fast branch with.
 */
export function parseAnyFrame(frame: Uint8Array): ParsedFrame {
  return walkFrame(Reader.create(frame), frame);
}

function walkFrame(reader: protobuf.Reader, frame: Uint8Array): ParsedFrame {
  let timeSpan: Span | undefined;
  let eventSpan: Span | undefined;
  while (reader.pos < reader.len) {
    const tag = readTag(reader, "EventRequest");
    const field = tag >>> 3;
    if (field === TIME) timeSpan = readSpan(reader, tag & 7, `EventRequest field ${TIME} (time)`);
    else if (field === EVENT) eventSpan = readSpan(reader, tag & 7, `EventRequest field ${EVENT} (event)`);
    else skipField(reader, tag & 7, `EventRequest field ${field}`);
  }
  if (eventSpan === undefined)
    throw undecodable(`EventRequest has no field ${EVENT} (event); the frame carries nothing to convert`);
  const time = timeSpan === undefined ? undefined : parseTimestamp(frame, timeSpan);
  const { member, bytes } = parseEvent(frame, eventSpan);
  return { time, member, bytes };
}
