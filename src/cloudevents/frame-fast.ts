import type { ParsedFrame } from "./frame.js";

/** A 5-byte varint holds up to 35 bits; more is never the shape of a frame daprd sends. */
const MAX_VARINT_BYTES = 5;
const NANOS_MAX = 999_999_999;

// Tags of EventRequest.time (1), EventRequest.event (2), Timestamp seconds (1) and nanos (2),
// Event.workflow (1) and Event.actor (2).
const TAG_TIME = 0x0a;
const TAG_EVENT = 0x12;
const TAG_SECONDS = 0x08;
const TAG_NANOS = 0x10;
const TAG_WORKFLOW = 0x0a;
const TAG_ACTOR = 0x12;

// The cursor of the parse; one parse runs at a time (synchronous), so it is shared.
let pos = 0;

/** Reads a varint of at most 5 bytes ending before `end`; -1 when it is longer or cut. */
function varint(frame: Uint8Array, end: number): number {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < MAX_VARINT_BYTES && pos < end; i++) {
    const byte = frame[pos++] ?? 0;
    value += (byte & 127) * scale;
    if (byte < 128) return value;
    scale *= 128;
  }
  return -1;
}

/** Reads `[seconds][nanos]` in that order, each at most once, up to `end`; undefined otherwise. */
function timestamp(frame: Uint8Array, end: number): { seconds: number; nanos: number } | undefined {
  let seconds = 0;
  let nanos = 0;
  if (pos < end && frame[pos] === TAG_SECONDS) {
    pos++;
    seconds = varint(frame, end);
    if (seconds < 0) return undefined;
  }
  if (pos < end && frame[pos] === TAG_NANOS) {
    pos++;
    nanos = varint(frame, end);
    // Beyond the nanos range (or int32) the general parser gives the precise error.
    if (nanos < 0 || nanos > NANOS_MAX) return undefined;
  }
  return pos === end ? { seconds, nanos } : undefined;
}

/**
 * The common case of `parseFrame`, without a reader or intermediate views: a frame of
 * exactly `[time][event]` (time optional) whose time holds `seconds` then `nanos` (each
 * optional, non-negative, at most 5 varint bytes) and whose `Event` holds exactly one member.
 * Such a frame gives the very result `parseFrame` gives; any other frame, well-formed or
 * not, gives `undefined`, and `parseFrame` hands it to the general walk, which decides and
 * names what is wrong.
 */
export function parseCommonFrame(frame: Uint8Array): ParsedFrame | undefined {
  const length = frame.length;
  pos = 0;
  let time: ParsedFrame["time"];
  if (frame[0] === TAG_TIME) {
    pos = 1;
    const timeLength = varint(frame, length);
    if (timeLength < 0 || pos + timeLength > length) return undefined;
    time = timestamp(frame, pos + timeLength);
    if (time === undefined) return undefined;
  }
  if (pos >= length || frame[pos++] !== TAG_EVENT) return undefined;
  const eventLength = varint(frame, length);
  if (eventLength < 0 || pos + eventLength !== length || pos >= length) return undefined;
  const memberTag = frame[pos++];
  if (memberTag !== TAG_WORKFLOW && memberTag !== TAG_ACTOR) return undefined;
  const memberLength = varint(frame, length);
  if (memberLength < 0 || pos + memberLength !== length) return undefined;
  return { time, member: memberTag === TAG_WORKFLOW ? "workflow" : "actor", bytes: frame.subarray(pos, length) };
}
