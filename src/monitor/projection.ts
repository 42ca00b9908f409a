import type { FailureInfo, WorkflowFact } from "./facts.js";
import { movesTo, TERMINAL_STATUSES, type InstanceStatus } from "./status.js";

/** What the store keeps of one workflow instance. */
export interface InstanceState {
  readonly app: string;
  readonly namespace: string;
  readonly instanceId: string;
  readonly name: string;
  readonly status: InstanceStatus;
  /** Time of the event that set {@link status}, ms. */
  readonly statusTimeMs: number;
  readonly createdAtMs: number;
  readonly lastUpdatedAtMs: number;
  readonly completedAtMs: number | null;
  readonly parentApp: string | null;
  readonly parentInstanceId: string | null;
  readonly failure: FailureInfo | null;
  readonly input: string | null;
  readonly output: string | null;
  readonly eventCount: number;
}

/** What one new (not duplicate) event changes beyond the instance row: the rollups. */
export interface Effects {
  /** The status the instance left, when it changed (undefined for a new instance). */
  readonly statusFrom: InstanceStatus | undefined;
  /** The status it entered, when it changed or is new. */
  readonly statusTo: InstanceStatus | undefined;
  readonly started: boolean;
  readonly completed: boolean;
  readonly failed: boolean;
  readonly activityFailed: boolean;
  /** Start to terminal, ms, when the instance reached a terminal status with this event. */
  readonly durationMs: number | undefined;
}

function minDefined(a: number, b: number | undefined): number {
  return b === undefined ? a : Math.min(a, b);
}

/**
 * Applies one new event to an instance (undefined: first seen). Pure: the stores call it inside the
 * transaction that deduplicated the event, so each event is applied once. Order-tolerant: the status
 * follows {@link movesTo} (a terminal status is never regressed), `createdAt` is the earliest time seen
 * and `lastUpdatedAt` the latest, whatever order events of one instance arrive in.
 */
export function applyWorkflowFact(
  state: InstanceState | undefined,
  fact: WorkflowFact,
): { next: InstanceState; effects: Effects } {
  const createdAtMs = minDefined(Math.min(state?.createdAtMs ?? fact.timeMs, fact.timeMs), fact.createdAtMs);
  const current = state?.status;
  const proposed = fact.status ?? (state === undefined ? "RUNNING" : undefined);
  const moves =
    proposed !== undefined &&
    (current === undefined || movesTo(current, state?.statusTimeMs ?? fact.timeMs, proposed, fact.timeMs));
  const status = moves ? proposed : (current ?? "RUNNING");
  const becameTerminal = moves && TERMINAL_STATUSES.has(status);
  const completedAtMs = becameTerminal ? (fact.completedAtMs ?? fact.timeMs) : (state?.completedAtMs ?? null);
  // Failure details belong to the event that failed the instance, not to a late one after another end.
  const failure = state?.failure ?? (moves && status === "FAILED" ? (fact.failure ?? null) : null);
  const next: InstanceState = {
    app: fact.app,
    namespace: state?.namespace !== undefined && state.namespace !== "" ? state.namespace : fact.namespace,
    instanceId: fact.instanceId,
    name: state !== undefined && state.name !== "unknown" ? state.name : fact.name,
    status,
    statusTimeMs: moves ? fact.timeMs : (state?.statusTimeMs ?? fact.timeMs),
    createdAtMs,
    lastUpdatedAtMs: Math.max(state?.lastUpdatedAtMs ?? fact.timeMs, fact.timeMs),
    completedAtMs,
    parentApp: state?.parentApp ?? fact.parent?.app ?? null,
    parentInstanceId: state?.parentInstanceId ?? fact.parent?.instanceId ?? null,
    failure,
    input: state?.input ?? fact.input ?? null,
    output: fact.output ?? state?.output ?? null,
    eventCount: (state?.eventCount ?? 0) + 1,
  };
  return {
    next,
    effects: {
      statusFrom: moves ? current : undefined,
      statusTo: moves || state === undefined ? status : undefined,
      started: fact.started,
      completed: becameTerminal && status === "COMPLETED",
      failed: becameTerminal && status === "FAILED",
      activityFailed: fact.activityFailed,
      durationMs: becameTerminal && completedAtMs !== null ? Math.max(0, completedAtMs - createdAtMs) : undefined,
    },
  };
}

/** Log-scale buckets of durations: each bucket is 10% wider than the one below. */
const BUCKET_BASE = Math.log(1.1);

/** The duration bucket of `ms`. */
export function durationBucket(ms: number): number {
  return Math.floor(Math.log1p(Math.max(0, ms)) / BUCKET_BASE);
}

/** The middle of a duration bucket, ms: the estimate a percentile reports (within 5%). */
export function bucketValue(bucket: number): number {
  return Math.round(Math.expm1((bucket + 0.5) * BUCKET_BASE));
}

/** Percentiles p50, p90, p99 over `(bucket, count)` pairs; null when there are none. */
export function percentiles(
  buckets: ReadonlyArray<readonly [number, number]>,
): { p50: number; p90: number; p99: number } | null {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return null;
  const at = (q: number): number => {
    const rank = Math.ceil(q * total);
    let seen = 0;
    for (const [bucket, n] of sorted) {
      seen += n;
      if (seen >= rank) return bucketValue(bucket);
    }
    return bucketValue(sorted.at(-1)?.[0] ?? 0);
  };
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}
