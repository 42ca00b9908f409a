import type { BatchConfig } from "../config/bridge-config.js";
import type { Entry } from "./entry.js";
import type { Fifo } from "./fifo.js";

/** Calls in flight above which a batch that is not full waits for more events. */
const PARTIAL_BATCH_MAX_IN_FLIGHT = 2;

/** What {@link takeBatch} decided: a batch to send, or to wait (until a time, or a call ends). */
export type BatchDecision =
  { readonly kind: "send"; readonly batch: Entry[] } | { readonly kind: "wait"; readonly until: number };

/**
 * Takes the next batch from a target's ready queue, oldest first, within `maxEntries` and
 * `maxBytes` (a single larger event still goes alone). A batch that is not full waits while
 * its oldest event is younger than `lingerMs`, and, Nagle-like, while two calls are in flight:
 * the end of a call pumps again, so batches grow with load instead of calls multiplying.
 * `until` is Infinity when only the end of a call can release the wait.
 */
export function takeBatch(ready: Fifo<Entry>, limits: BatchConfig, inFlight: number, now: number): BatchDecision {
  if (inFlight >= limits.maxInFlight) return { kind: "wait", until: Infinity };
  const oldest = ready.peek() as Entry;
  const partial = ready.length < limits.maxEntries;
  if (partial && limits.lingerMs > 0 && now - oldest.readyAt < limits.lingerMs) {
    return { kind: "wait", until: oldest.readyAt + limits.lingerMs };
  }
  if (partial && inFlight >= PARTIAL_BATCH_MAX_IN_FLIGHT) return { kind: "wait", until: Infinity };
  const batch: Entry[] = [];
  let bytes = 0;
  while (batch.length < limits.maxEntries && ready.length > 0) {
    const next = ready.peek() as Entry;
    if (batch.length > 0 && bytes + next.payload.byteLength > limits.maxBytes) break;
    ready.shift();
    batch.push(next);
    bytes += next.payload.byteLength;
  }
  return { kind: "send", batch };
}
