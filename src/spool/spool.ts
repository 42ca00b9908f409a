import type { EventFormat } from "../cloudevents/record.js";

/**
 * One accepted event, encoded and routed, ready to publish. This is what the spool keeps.
 */
export interface OutboundEvent {
  /** The CloudEvent id (UUIDv7); the same on every retry and after a restart. */
  readonly id: string;
  /** The partition key: the order unit (docs/contract.md §5). */
  readonly key: string;
  /** The CloudEvent type, kept for listing and filtering dead letters. */
  readonly type: string;
  /** Target pubsub component. */
  readonly pubsub: string;
  /** Target topic. */
  readonly topic: string;
  /** How `payload` is encoded. */
  readonly format: EventFormat;
  /** The encoded CloudEvent. */
  readonly payload: Uint8Array;
  /** When the bridge read the event, ms since the epoch. */
  readonly acceptedAt: number;
  /**
   * Set when the event is already a dead letter (undecodable input, or an event that used
   * up its attempts): the payload carries the dead-letter extensions.
   */
  readonly deadLetter?: boolean;
}

/** An event committed to the spool. */
export interface SpooledEvent extends OutboundEvent {
  /** The spool's sequence number: increases with acceptance order. */
  readonly seq: number;
  /** Publish attempts that failed with a non-retryable error so far. */
  readonly attempts: number;
}

/** The counts `spool stats` prints. */
export interface SpoolStats {
  /** Committed events waiting to be published (including those in flight). */
  readonly pending: number;
  /** Events that could not be published even to the dead-letter topic. */
  readonly dead: number;
  /** Bytes of payload held (pending and dead). */
  readonly bytes: number;
}

/** A dead letter parked in the spool because its dead-letter publish failed too. */
export interface DeadLetterUpdate {
  readonly seq: number;
  /** The payload with the dead-letter extensions added. */
  readonly payload: Uint8Array;
  readonly pubsub: string;
  readonly topic: string;
  readonly reason: string;
  readonly error: string;
  readonly attempts: number;
}

/**
 * Where accepted events live until they are published. `disk` (SQLite, WAL) survives
 * crashes; `memory` does not. All writes are batched by the caller (group commit).
 */
export interface Spool {
  /** Commits a batch in one transaction and returns it with sequence numbers. Throws a BridgeError (code `spool`) when it cannot. */
  append(events: readonly OutboundEvent[]): SpooledEvent[];
  /** Pending events with `seq > afterSeq`, oldest first, at most `limit`. Dead letters are not pending. */
  readPending(afterSeq: number, limit: number): SpooledEvent[];
  /** Removes events (published ones, or any row an operator drops). */
  remove(seqs: readonly number[]): void;
  /**
   * Removes published events in one transaction: every pending event with `seq < below` (a
   * watermark: the caller has published every pending event under it), and the events of
   * `seqs` (published above the watermark). Dead letters under the watermark stay.
   */
  removePublished(below: number, seqs: readonly number[]): void;
  /** Stores the failed-attempt count of events. */
  recordAttempts(updates: ReadonlyArray<{ readonly seq: number; readonly attempts: number }>): void;
  /** Parks events as dead letters (listed and replayable by the CLI). */
  markDead(updates: readonly DeadLetterUpdate[]): void;
  /** Current counts. O(1): kept as running counts, not counted in the store. */
  stats(): SpoolStats;
  /**
   * Whether the spool is under its bounds: pending events below `maxEvents` and bytes held
   * (pending and dead) below `maxBytes`. O(1). The sink stops reading its streams while this
   * is false (docs/contract.md §5, bounded memory); a batch already read is still appended, so a
   * bound can be passed by at most one batch.
   */
  hasRoom(): boolean;
  /**
   * Commits a small write and takes it back, to learn whether the spool can commit again after
   * a failure (a full disk); throws a BridgeError (code `spool`) while it cannot. Absent on a
   * spool that cannot fail that way.
   */
  checkWritable?(): void;
  /** Closes the spool; later calls throw. */
  close(): void;
}

/**
 * The spooled form of an accepted event, built with one fixed object shape (a spread would
 * give objects of several shapes and slow every later access on the hot path).
 */
export function spooledFrom(event: OutboundEvent, seq: number, attempts = 0): SpooledEvent {
  return {
    id: event.id,
    key: event.key,
    type: event.type,
    pubsub: event.pubsub,
    topic: event.topic,
    format: event.format,
    payload: event.payload,
    acceptedAt: event.acceptedAt,
    deadLetter: event.deadLetter === true,
    seq,
    attempts,
  };
}
