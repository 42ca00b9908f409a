import type { BridgeError } from "../errors/bridge-error.js";
import type { Entry } from "./entry.js";

/**
 * Hooks the delivery queue calls as events move; metrics implement them. Each receives
 * whole batches where it can, so an observer costs nothing per event it does not need.
 */
export interface DeliveryObserver {
  /** A publish call succeeded for `entries`; `now` is the queue's monotonic clock. */
  published(pubsub: string, topic: string, entries: readonly Entry[], now: number): void;
  /** Publish failures, one error per failed entry. */
  publishFailed(errors: readonly BridgeError[]): void;
  /** An entry will be retried after its backoff. */
  retried(entry: Entry): void;
  /** An entry used up its attempts (or age) and goes to the dead-letter topic. */
  deadLettered(entry: Entry, reason: string): void;
  /** A dead letter could not be published either and stays in the spool. */
  parked(entry: Entry): void;
}
