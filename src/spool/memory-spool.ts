import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { SpoolCounts, validateSpoolBounds, type SpoolBoundsOptions } from "./spool-bounds.js";
import {
  spooledFrom,
  type DeadLetterUpdate,
  type OutboundEvent,
  type Spool,
  type SpooledEvent,
  type SpoolStats,
} from "./spool.js";

/** Options of a {@link MemorySpool}: its bounds. */
export type MemorySpoolOptions = SpoolBoundsOptions;

interface Entry {
  event: SpooledEvent;
  dead: boolean;
}

/**
 * The spool of `--durability memory`: the same contract as the SQLite spool, held in this
 * process only, so a crash or restart loses everything not yet published. Entries live in a
 * Map by seq; `order` keeps the seqs ascending for paging, with removed seqs dropped lazily.
 */
export class MemorySpool implements Spool {
  readonly #entries = new Map<number, Entry>();
  /** Seqs in ascending order; may hold seqs already removed (skipped, compacted when half stale). */
  #order: number[] = [];
  readonly #counts: SpoolCounts;
  #nextSeq = 1;
  #closed = false;

  constructor(options: MemorySpoolOptions) {
    this.#counts = new SpoolCounts(validateSpoolBounds(options));
  }

  append(events: readonly OutboundEvent[]): SpooledEvent[] {
    this.#open();
    return events.map((event) => {
      const spooled = spooledFrom(event, this.#nextSeq++);
      this.#entries.set(spooled.seq, { event: spooled, dead: false });
      this.#order.push(spooled.seq);
      this.#counts.pending++;
      this.#counts.bytes += event.payload.byteLength;
      return spooled;
    });
  }

  readPending(afterSeq: number, limit: number): SpooledEvent[] {
    this.#open();
    const found: SpooledEvent[] = [];
    for (let index = firstAbove(this.#order, afterSeq); index < this.#order.length; index++) {
      if (found.length >= limit) break;
      const entry = this.#entries.get(this.#order[index] ?? 0);
      if (entry !== undefined && !entry.dead) found.push(entry.event);
    }
    return found;
  }

  remove(seqs: readonly number[]): void {
    this.#open();
    for (const seq of seqs) {
      const entry = this.#entries.get(seq);
      if (entry === undefined) continue;
      this.#entries.delete(seq);
      if (entry.dead) this.#counts.dead--;
      else this.#counts.pending--;
      this.#counts.bytes -= entry.event.payload.byteLength;
    }
    this.#compact();
  }

  removePublished(below: number, seqs: readonly number[]): void {
    this.#open();
    // #order is ascending: the range is its head, up to the first seq at or above `below`.
    const end = firstAbove(this.#order, below - 1);
    const kept: number[] = [];
    for (let index = 0; index < end; index++) {
      const seq = this.#order[index] ?? 0;
      const entry = this.#entries.get(seq);
      if (entry === undefined) continue;
      if (entry.dead) {
        kept.push(seq);
        continue;
      }
      this.#entries.delete(seq);
      this.#counts.pending--;
      this.#counts.bytes -= entry.event.payload.byteLength;
    }
    if (end > 0) this.#order = kept.concat(this.#order.slice(end));
    this.remove(seqs);
  }

  #compact(): void {
    if (this.#order.length > 64 && this.#entries.size < this.#order.length / 2) {
      this.#order = this.#order.filter((seq) => this.#entries.has(seq));
    }
  }

  recordAttempts(updates: ReadonlyArray<{ readonly seq: number; readonly attempts: number }>): void {
    this.#open();
    for (const { seq, attempts } of updates) {
      const entry = this.#entries.get(seq);
      if (entry !== undefined) entry.event = { ...entry.event, attempts };
    }
  }

  markDead(updates: readonly DeadLetterUpdate[]): void {
    this.#open();
    for (const update of updates) {
      const entry = this.#entries.get(update.seq);
      if (entry === undefined) continue;
      if (!entry.dead) {
        this.#counts.pending--;
        this.#counts.dead++;
      }
      this.#counts.bytes += update.payload.byteLength - entry.event.payload.byteLength;
      entry.dead = true;
      entry.event = {
        ...entry.event,
        payload: update.payload,
        pubsub: update.pubsub,
        topic: update.topic,
        attempts: update.attempts,
        deadLetter: true,
      };
    }
  }

  stats(): SpoolStats {
    this.#open();
    return this.#counts.snapshot();
  }

  hasRoom(): boolean {
    this.#open();
    return this.#counts.hasRoom();
  }

  /** Drops everything held. Idempotent; later calls of other methods throw. */
  close(): void {
    this.#closed = true;
    this.#entries.clear();
    this.#order = [];
  }

  #open(): void {
    if (this.#closed) {
      throw new BridgeError(ErrorCode.Spool, "The memory spool is closed. Create a new MemorySpool to use it.");
    }
  }
}

/** Index of the first element of the ascending `seqs` greater than `afterSeq` (binary search). */
function firstAbove(seqs: readonly number[], afterSeq: number): number {
  let low = 0;
  let high = seqs.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((seqs[middle] ?? 0) <= afterSeq) low = middle + 1;
    else high = middle;
  }
  return low;
}
