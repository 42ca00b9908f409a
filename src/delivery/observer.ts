import type { EventFormat } from "../cloudevents/record.js";
import type { BridgeError } from "../errors/bridge-error.js";

/**
 * What an observer sees of an event in the delivery window: a read-only view (the queue's own
 * record stays private; the payload is not part of the view).
 */
export interface EventView {
  /** The spool's sequence number. */
  readonly seq: number;
  /** The CloudEvent id. */
  readonly id: string;
  /** The partition key. */
  readonly key: string;
  /** The CloudEvent type. */
  readonly type: string;
  /** When it was accepted, ms since the epoch. */
  readonly acceptedAt: number;
  /** Where it goes now (the dead-letter route once dead-lettered). */
  readonly pubsub: string;
  readonly topic: string;
  readonly format: EventFormat;
  /** Failed attempts with non-retryable errors so far. */
  readonly attempts: number;
  /** Whether it is a dead letter now. */
  readonly deadLetter: boolean;
}

/**
 * Hooks the delivery queue calls as events move; metrics implement them. Each receives
 * whole batches where it can, so an observer costs nothing per event it does not need. Events
 * come as read-only {@link EventView}s.
 */
export interface DeliveryObserver {
  /** A publish call succeeded for `entries`; `now` is the queue's monotonic clock. */
  published(pubsub: string, topic: string, entries: readonly EventView[], now: number): void;
  /** Publish failures, one error per failed entry. */
  publishFailed(errors: readonly BridgeError[]): void;
  /** An entry will be retried after its backoff. */
  retried(entry: EventView): void;
  /** An entry used up its attempts (or age) and goes to the dead-letter topic. */
  deadLettered(entry: EventView, reason: string): void;
  /** A dead letter could not be published either and stays in the spool. */
  parked(entry: EventView): void;
}
