import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Timestamp } from "./record.js";

/** A protobuf int64 as protobufjs hands it out: a number, or a Long-like pair of halves. */
export interface LongLike {
  readonly low: number;
  readonly high: number;
  readonly unsigned?: boolean;
}

/** Converts a protobufjs int64 value to a number (exact up to 2^53). */
export function longToNumber(value: LongLike | number): number {
  if (typeof value === "number") return value;
  const high = value.unsigned === true ? value.high >>> 0 : value.high;
  return high * 4_294_967_296 + (value.low >>> 0);
}

/**
 * Formats a timestamp as RFC 3339 in UTC ("Z"), as proto3 canonical JSON does: 0, 3, 6 or 9
 * fractional digits, the fewest that keep every nanosecond.
 *
 * @throws BridgeError `undecodable` when the seconds are outside what a date can hold.
 */
export function formatTimestamp(time: Timestamp): string {
  const date = new Date(time.seconds * 1000);
  if (Number.isNaN(date.getTime()) || !Number.isInteger(time.nanos) || time.nanos < 0 || time.nanos > 999_999_999) {
    throw new BridgeError(
      ErrorCode.Undecodable,
      `timestamp ${time.seconds}s ${time.nanos}ns cannot be written as an RFC 3339 date`,
    );
  }
  const whole = date.toISOString().slice(0, -5); // drop ".000Z": seconds are whole
  const nanos = time.nanos;
  if (nanos === 0) return `${whole}Z`;
  const digits = String(nanos).padStart(9, "0");
  if (nanos % 1_000_000 === 0) return `${whole}.${digits.slice(0, 3)}Z`;
  if (nanos % 1000 === 0) return `${whole}.${digits.slice(0, 6)}Z`;
  return `${whole}.${digits}Z`;
}

/** A timestamp from milliseconds since the epoch. */
export function timestampFromMillis(millis: number): Timestamp {
  const whole = Math.floor(millis);
  const seconds = Math.floor(whole / 1000);
  return { seconds, nanos: (whole - seconds * 1000) * 1_000_000 };
}
