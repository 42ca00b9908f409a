import { withDeadLetter } from "../cloudevents/dead-letter-extensions.js";
import { BridgeError } from "../errors/bridge-error.js";
import type { Logger } from "../observability/logger.js";
import type { Spool } from "../spool/spool.js";
import type { Entry } from "./entry.js";

/** Where dead letters go. */
export interface DeadLetterRoute {
  readonly pubsub: string;
  readonly topic: string;
}

/**
 * Makes `entry` its own dead letter (docs/contract.md §5): same id, payload with the extensions
 * `deadletterreason`, `deadlettererror` (≤ 1024 characters) and `deadletterattempts`, target
 * the dead-letter route. Its retry count starts again for the new target.
 */
export function turnIntoDeadLetter(entry: Entry, reason: string, error: BridgeError, route: DeadLetterRoute): void {
  entry.payload = withDeadLetter(entry.payload, entry.format, {
    reason,
    error: `${error.code}: ${error.message}`,
    attempts: entry.attempts,
  });
  entry.pubsub = route.pubsub;
  entry.topic = route.topic;
  entry.deadLetter = true;
  entry.retries = 0;
}

/**
 * Parks a dead letter whose own publish failed: it stays in the spool as dead, listed and
 * replayable by `dapr-event-bridge dead-letters`. Nothing is dropped: if even parking fails, the
 * row stays pending and is tried again after a restart. Returns whether it was parked.
 */
export function parkDeadLetter(spool: Spool, entry: Entry, error: BridgeError, logger: Logger): boolean {
  let parked = true;
  try {
    spool.markDead([
      {
        seq: entry.seq,
        payload: entry.payload,
        pubsub: entry.pubsub,
        topic: entry.topic,
        reason: "deadletter_publish_failed",
        error: `${error.code}: ${error.message}`.slice(0, 1024),
        attempts: entry.attempts,
      },
    ]);
  } catch (cause) {
    parked = false;
    logger.error(
      { err: BridgeError.from(cause), id: entry.id },
      "could not park a dead letter; it stays pending in the spool",
    );
  }
  logger.error(
    { id: entry.id, type: entry.type, code: error.code },
    "dead-letter publish failed; the event stays in the spool (see `dapr-event-bridge dead-letters list`)",
  );
  return parked;
}
