import { describe, expect, it } from "vitest";
import { backoffDelay } from "./backoff.js";

const policy = { initialBackoffMs: 100, multiplier: 2, maxBackoffMs: 1000 };

describe("backoffDelay", () => {
  it("grows exponentially up to the cap, at the top of the jitter range", () => {
    const top = () => 0.999999;
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, policy, top))).toEqual([99, 199, 399, 799, 999, 999]);
  });

  it("uses full jitter: a random of 0 gives no wait", () => {
    expect(backoffDelay(4, policy, () => 0)).toBe(0);
  });

  it("never exceeds the cap for large retry counts", () => {
    expect(backoffDelay(10_000, policy, () => 0.5)).toBe(500);
  });
});
