import { describe, expect, it } from "vitest";
import type { RetryConfig } from "../config/bridge-config.js";
import { decideRetry, type FailedAttempt } from "./retry-policy.js";

const policy: RetryConfig = { initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 1_000, maxAttempts: 3 };
/** A fake clock: monotonic 5,000 ms, wall clock one minute after the event was accepted. */
const clock = { now: 5_000, wallNow: 1_700_000_060_000 };
const ACCEPTED = 1_700_000_000_000;
/** A random source at its top: the backoff is (almost) its ceiling, so the exponent shows. */
const top = (): number => 0.999_999;

function failure(overrides: Partial<FailedAttempt> = {}): FailedAttempt {
  return { retryable: false, attempts: 0, retries: 0, deadLetter: false, acceptedAt: ACCEPTED, ...overrides };
}

describe("decideRetry", () => {
  it("retries a retryable failure without counting an attempt, backing off on the retries in a row", () => {
    expect(decideRetry(failure({ retryable: true, attempts: 2 }), policy, clock, top)).toEqual({
      kind: "retry",
      at: 5_099,
      attempts: 2,
      retries: 1,
    });
    expect(decideRetry(failure({ retryable: true, retries: 3 }), policy, clock, top)).toEqual({
      kind: "retry",
      at: 5_799,
      attempts: 0,
      retries: 4,
    });
    // Capped at maxBackoffMs, without end.
    expect(decideRetry(failure({ retryable: true, retries: 40 }), policy, clock, top)).toMatchObject({
      kind: "retry",
      at: 5_999,
      retries: 41,
    });
  });

  it("counts an attempt for a non-retryable failure and retries on the attempt count, keeping the retries", () => {
    expect(decideRetry(failure({ attempts: 1, retries: 5 }), policy, clock, top)).toEqual({
      kind: "retry",
      at: 5_199,
      attempts: 2,
      retries: 5,
    });
  });

  it("dead-letters once the attempts reach maxAttempts", () => {
    expect(decideRetry(failure({ attempts: 2 }), policy, clock, top)).toEqual({
      kind: "dead-letter",
      reason: "max_attempts",
      attempts: 3,
    });
  });

  it("dead-letters by age, retryable or not, once maxAgeMs has passed on the wall clock", () => {
    const aged = { ...policy, maxAgeMs: 60_000 };
    expect(decideRetry(failure({ retryable: true }), aged, clock, top)).toEqual({
      kind: "dead-letter",
      reason: "max_age",
      attempts: 1,
    });
    expect(decideRetry(failure({ attempts: 2 }), aged, clock, top)).toEqual({
      kind: "dead-letter",
      reason: "max_age",
      attempts: 3,
    });
    // One millisecond younger: still retried.
    const younger = { ...clock, wallNow: clock.wallNow - 1 };
    expect(decideRetry(failure({ retryable: true }), aged, younger, top)).toMatchObject({ kind: "retry" });
  });

  it("parks a dead letter whose own publish failed for good", () => {
    expect(decideRetry(failure({ deadLetter: true, attempts: 3 }), policy, clock, top)).toEqual({
      kind: "park",
      attempts: 4,
    });
    // A dead letter's retryable failure is retried like any other.
    expect(decideRetry(failure({ deadLetter: true, retryable: true }), policy, clock, top)).toMatchObject({
      kind: "retry",
    });
  });

  it("draws the jitter from the random source: full jitter, from 0 up to the ceiling", () => {
    expect(decideRetry(failure({ retryable: true }), policy, clock, () => 0)).toMatchObject({ at: 5_000 });
    expect(decideRetry(failure({ retryable: true }), policy, clock, () => 0.5)).toMatchObject({ at: 5_050 });
  });
});
