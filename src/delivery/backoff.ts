import type { RetryConfig } from "../config/bridge-config.js";

/**
 * Full-jitter exponential backoff: the n-th retry waits a uniformly random time in
 * `[0, min(maxBackoffMs, initialBackoffMs × multiplierⁿ⁻¹))`.
 * `random` is injectable so tests are deterministic.
 */
export function backoffDelay(
  retry: number,
  policy: Pick<RetryConfig, "initialBackoffMs" | "multiplier" | "maxBackoffMs">,
  random: () => number = Math.random,
): number {
  const exponent = Math.max(0, retry - 1);
  const ceiling = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * Math.pow(policy.multiplier, exponent));
  return Math.floor(random() * ceiling);
}
