import { randomFillSync } from "node:crypto";

/** Random bytes drawn from the system per refill: one call serves 819 ids. */
const POOL_BYTES = 8192;
/** Random bytes one id consumes: 4 seed the counter (when the millisecond changes), 6 fill the tail. */
const BYTES_PER_ID = 10;

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Two hex digits of the low byte of `byte`. */
function hex(byte: number): string {
  return HEX[byte & 0xff] ?? "00";
}

/**
 * UUIDv7 ids (RFC 9562) for accepted events, as the `uuid` package's `v7()` makes them: 48 bits
 * of Unix milliseconds, then a 32-bit counter seeded at random each new millisecond and
 * incremented within one (so ids of one generator sort in the order they were made), then
 * random bits. The random bytes come from one `randomFillSync` per 819 ids instead of one
 * `getRandomValues` per id. Each instance keeps its own state.
 */
export class EventIds {
  readonly #pool = new Uint8Array(POOL_BYTES);
  #offset = POOL_BYTES;
  #msecs = -Infinity;
  #seq = 0;
  readonly #now: () => number;

  /** @param now wall clock, ms since the epoch. @default Date.now */
  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** The next id, in the canonical 36-character form. */
  next(): string {
    if (this.#offset + BYTES_PER_ID > POOL_BYTES) {
      randomFillSync(this.#pool);
      this.#offset = 0;
    }
    const r = this.#pool;
    const o = this.#offset;
    this.#offset = o + BYTES_PER_ID;
    const now = this.#now();
    if (now > this.#msecs) {
      // A new millisecond: a random counter start, with room left below 2^32 (top bit clear).
      this.#seq = (((r[o] ?? 0) & 0x7f) << 24) | ((r[o + 1] ?? 0) << 16) | ((r[o + 2] ?? 0) << 8) | (r[o + 3] ?? 0);
      this.#msecs = now;
    } else {
      this.#seq = (this.#seq + 1) | 0;
      // The counter wrapped: borrow the next millisecond, as uuid's v7 does.
      if (this.#seq === 0) this.#msecs++;
    }
    const ms = this.#msecs;
    const seq = this.#seq;
    const hi = Math.floor(ms / 0x100000000);
    const lo = ms >>> 0;
    return (
      hex(hi >>> 8) +
      hex(hi) +
      hex(lo >>> 24) +
      hex(lo >>> 16) +
      "-" +
      hex(lo >>> 8) +
      hex(lo) +
      "-" +
      hex(0x70 | ((seq >>> 28) & 0x0f)) +
      hex(seq >>> 20) +
      "-" +
      hex(0x80 | ((seq >>> 14) & 0x3f)) +
      hex(seq >>> 6) +
      "-" +
      hex((seq << 2) | ((r[o + 4] ?? 0) & 0x03)) +
      hex(r[o + 5] ?? 0) +
      hex(r[o + 6] ?? 0) +
      hex(r[o + 7] ?? 0) +
      hex(r[o + 8] ?? 0) +
      hex(r[o + 9] ?? 0)
    );
  }
}
