import type { RetryConfig } from "../config/bridge-config.js";
import { backoffDelay } from "./backoff.js";

/** What happened to an event's publish, as far as the retry policy cares. */
export interface FailedAttempt {
  /** Whether the error is worth retrying without counting an attempt (outages: docs/contract.md §4.4). */
  readonly retryable: boolean;
  /** Attempts that failed with non-retryable errors before this one. */
  readonly attempts: number;
  /** Retryable failures in a row before this one. */
  readonly retries: number;
  /** Whether the event is already a dead letter (its dead-letter publish failed). */
  readonly deadLetter: boolean;
  /** When the event was accepted, ms since the epoch. */
  readonly acceptedAt: number;
}

/** The clocks the policy reads: `now` drives backoff timers, `wallNow` the age of an event. */
export interface RetryClock {
  /** Monotonic time, ms: retry times are on this clock. */
  readonly now: number;
  /** Wall-clock time, ms since the epoch: compared with `acceptedAt`. */
  readonly wallNow: number;
}

/** What to do with an event whose publish failed. */
export type RetryDecision =
  /** Send it again at `at` (monotonic ms). `attempts` and `retries` are the event's new counts. */
  | { readonly kind: "retry"; readonly at: number; readonly attempts: number; readonly retries: number }
  /** Turn it into a dead letter: it used up its attempts, or its age. */
  | { readonly kind: "dead-letter"; readonly reason: "max_attempts" | "max_age"; readonly attempts: number }
  /** A dead letter whose own publish failed: keep it in the spool, listed and replayable. */
  | { readonly kind: "park"; readonly attempts: number };

/**
 * The retry policy, as one pure function of the failure, the policy, the clocks and a random
 * source (docs/contract.md §5):
 * - a retryable failure of an event younger than `maxAgeMs` is retried after a full-jitter
 *   backoff on its count of retryable failures in a row, without counting an attempt;
 * - anything else counts an attempt; a dead letter is then parked, and an event whose attempts
 *   reach `maxAttempts` (or whose age reached `maxAgeMs`) becomes a dead letter;
 * - otherwise it is retried after a backoff on its attempt count.
 */
export function decideRetry(
  failure: FailedAttempt,
  policy: RetryConfig,
  clock: RetryClock,
  random: () => number,
): RetryDecision {
  const expired = policy.maxAgeMs !== undefined && clock.wallNow - failure.acceptedAt >= policy.maxAgeMs;
  if (failure.retryable && !expired) {
    const retries = failure.retries + 1;
    return {
      kind: "retry",
      at: clock.now + backoffDelay(retries, policy, random),
      attempts: failure.attempts,
      retries,
    };
  }
  const attempts = failure.attempts + 1;
  if (failure.deadLetter) return { kind: "park", attempts };
  if (expired) return { kind: "dead-letter", reason: "max_age", attempts };
  if (attempts >= policy.maxAttempts) return { kind: "dead-letter", reason: "max_attempts", attempts };
  return { kind: "retry", at: clock.now + backoffDelay(attempts, policy, random), attempts, retries: failure.retries };
}
