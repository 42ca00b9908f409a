import type { EventFormat } from "../cloudevents/record.js";
import type { SpooledEvent } from "../spool/spool.js";
import type { Fifo } from "./fifo.js";

/**
 * A spooled event while it is in the delivery window. Target and payload change when it
 * becomes a dead letter; everything else stays as accepted.
 */
export interface Entry {
  readonly seq: number;
  readonly id: string;
  readonly key: string;
  readonly type: string;
  readonly acceptedAt: number;
  pubsub: string;
  topic: string;
  format: EventFormat;
  payload: Uint8Array;
  deadLetter: boolean;
  /** Failed attempts with non-retryable errors (persisted). */
  attempts: number;
  /** Retryable failures in a row (drives the backoff; not persisted). */
  retries: number;
  /** When the entry may be sent again, ms (monotonic clock). */
  dueAt: number;
  /** When it became ready to send, ms (monotonic clock); drives the linger time. */
  readyAt: number;
}

/** Makes a window entry of a spooled event. */
export function toEntry(event: SpooledEvent): Entry {
  return {
    seq: event.seq,
    id: event.id,
    key: event.key,
    type: event.type,
    acceptedAt: event.acceptedAt,
    pubsub: event.pubsub,
    topic: event.topic,
    format: event.format,
    payload: event.payload,
    deadLetter: event.deadLetter === true,
    attempts: event.attempts,
    retries: 0,
    dueAt: 0,
    readyAt: 0,
  };
}

/** Entries waiting to be sent to one pubsub/topic in one format. */
export interface Target {
  readonly pubsub: string;
  readonly topic: string;
  readonly format: EventFormat;
  readonly ready: Fifo<Entry>;
}
