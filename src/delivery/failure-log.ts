import { ErrorCode, type BridgeError } from "../errors/bridge-error.js";
import type { Logger } from "../observability/logger.js";

/** Whole calls failing in a row with retryable errors that count as an outage of the sidecar. */
export const OUTAGE_STREAK = 3;

/** Least time between two log lines about publish failures, ms. */
const REPORT_EVERY_MS = 10_000;

/** Whether every entry of a call failed with a retryable error (the call failed as a whole). */
export function isOutage(failed: ReadonlyMap<string, BridgeError>, size: number): boolean {
  if (failed.size < size) return false;
  for (const error of failed.values()) if (!error.retryable) return false;
  return true;
}

/** A publish target, as the log names it. */
interface Target {
  readonly pubsub: string;
  readonly topic: string;
}

/**
 * Logs publish failures at most every 10 s with the count since the last line, and one line
 * when publishing recovers: an outage says what is wrong, and what to check, without a line
 * per event.
 */
export class FailureLog {
  /** A warning went out since the last success. */
  private reported = false;
  private sinceReport = 0;
  private lastReport = -Infinity;

  constructor(private readonly logger: Logger) {}

  /** A call to `target` failed for the entries in `failed`; `now` is a monotonic clock, ms. */
  failed(target: Target, failed: ReadonlyMap<string, BridgeError>, now: number): void {
    this.sinceReport += failed.size;
    if (now - this.lastReport < REPORT_EVERY_MS) return;
    this.lastReport = now;
    const first = failed.values().next().value as BridgeError;
    this.logger.warn(
      {
        pubsub: target.pubsub,
        topic: target.topic,
        code: first.code,
        failures: this.sinceReport,
        error: first.message,
      },
      first.code === ErrorCode.Unauthenticated
        ? "the bridge's Dapr sidecar refuses its API token; retrying without end, events stay in the spool. Check DAPR_API_TOKEN of the bridge against the token its sidecar requires"
        : first.code === ErrorCode.BrokerUnavailable
          ? "the broker behind the Dapr sidecar fails publishes; retrying with backoff, events stay in the spool. Check the pubsub component and its broker"
          : first.retryable
            ? "publishing fails; retrying with backoff, events stay in the spool. Check the bridge's Dapr sidecar and its pubsub component"
            : "publishing is refused; events are retried up to maxAttempts, then dead-lettered. Check the pubsub component and the topic",
    );
    this.sinceReport = 0;
    this.reported = true;
  }

  /** A call to `target` succeeded: says so once after a warning (warnings stay at most every 10 s). */
  succeeded(target: Target): void {
    if (!this.reported) return;
    this.reported = false;
    this.logger.info({ pubsub: target.pubsub, topic: target.topic }, "publishing recovered");
  }
}
