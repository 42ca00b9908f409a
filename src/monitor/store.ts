import type { Fact, FailureInfo, InstanceRef } from "./facts.js";
import type { InstanceStatus } from "./status.js";

/** One instance in a list (`GET /api/instances`). Times are RFC 3339 strings. */
export interface InstanceSummary {
  readonly app: string;
  readonly namespace: string;
  readonly instanceId: string;
  readonly name: string;
  readonly status: InstanceStatus;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly completedAt: string | null;
  readonly parentInstanceId: string | null;
  readonly failure: FailureInfo | null;
  readonly eventCount: number;
}

/** One instance with its links (`GET /api/instances/{app}/{instanceId}`). */
export interface InstanceDetail extends InstanceSummary {
  readonly input?: string;
  readonly output?: string;
  readonly parent: InstanceRef | null;
  readonly children: ReadonlyArray<InstanceRef & { readonly name: string; readonly status: InstanceStatus }>;
}

/** One event of an instance's history, in order. */
export interface HistoryEvent {
  /** Position in the history, from 1. */
  readonly seq: number;
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly summary: string;
  readonly data: unknown;
}

/** Where a list page starts: after this instance, newest first. */
export interface ListCursor {
  readonly createdAtMs: number;
  readonly app: string;
  readonly instanceId: string;
}

/** A list query; every filter is optional. */
export interface ListQuery {
  readonly status?: InstanceStatus;
  readonly name?: string;
  readonly app?: string;
  /** Instances updated at or after this time, ms. */
  readonly sinceMs?: number;
  /** Instances created at or before this time, ms. */
  readonly untilMs?: number;
  readonly limit: number;
  readonly cursor?: ListCursor;
}

/** One page of instances; `next` is where the next page starts (undefined on the last page). */
export interface InstancePage {
  readonly instances: readonly InstanceSummary[];
  readonly next: ListCursor | undefined;
  /** Instances matching the filters, over all pages. */
  readonly total: number;
}

/** Rollups of one workflow (app + name). */
export interface WorkflowAggregate {
  readonly app: string;
  readonly name: string;
  readonly byStatus: Readonly<Partial<Record<InstanceStatus, number>>>;
  readonly started: number;
  readonly completed: number;
  readonly failed: number;
  readonly startedPerMin: number;
  readonly completedPerMin: number;
  readonly failedPerMin: number;
  readonly durationMs: { readonly p50: number; readonly p90: number; readonly p99: number } | null;
  readonly activityFailures: number;
}

/** Rollups of one actor type. */
export interface ActorAggregate {
  readonly app: string;
  readonly actorType: string;
  readonly activations: number;
  readonly invocations: number;
  readonly reminders: number;
  readonly timers: number;
}

/** `GET /api/aggregates`. */
export interface Aggregates {
  /** Start of the window (RFC 3339), or null for everything stored. */
  readonly since: string | null;
  readonly workflows: readonly WorkflowAggregate[];
  readonly actors: readonly ActorAggregate[];
}

/** What a batch of facts changed. */
export interface IngestResult {
  /** Facts applied (new events). */
  readonly ingested: number;
  /** Facts already stored (same source + id): ignored. */
  readonly duplicates: number;
  /** Instances the batch touched, with their status after it. */
  readonly changed: ReadonlyArray<InstanceRef & { readonly status: InstanceStatus }>;
  /** Instances that reached FAILED in this batch, by app and name. */
  readonly failed: ReadonlyArray<{ readonly app: string; readonly name: string }>;
}

/** Counts per app, name and status: `GET /metrics`. */
export interface WorkflowCount {
  readonly app: string;
  readonly name: string;
  readonly status: InstanceStatus;
  readonly count: number;
}

/**
 * Where the projection lives: SQLite (one process) or PostgreSQL (replicas sharing it). Every
 * method is safe to call while others run; `ingest` applies a batch atomically.
 */
export interface MonitorStore {
  /** `sqlite` or `postgres`. */
  readonly kind: string;
  /** Applies facts in order, each once: a fact whose source + id is stored is a duplicate. */
  ingest(facts: readonly Fact[]): Promise<IngestResult>;
  listInstances(query: ListQuery): Promise<InstancePage>;
  getInstance(app: string, instanceId: string): Promise<InstanceDetail | undefined>;
  /** The history in order; undefined for an unknown instance. */
  history(app: string, instanceId: string): Promise<HistoryEvent[] | undefined>;
  /** Rollups since `sinceMs` (undefined: everything stored); rates per minute up to `nowMs`. */
  aggregates(sinceMs: number | undefined, nowMs: number): Promise<Aggregates>;
  /** Instances by app, name and current status. */
  statusCounts(): Promise<WorkflowCount[]>;
  /** Instances PENDING, RUNNING or SUSPENDED created before `createdBeforeMs`, by app and name. */
  stuckCounts(createdBeforeMs: number): Promise<Array<{ app: string; name: string; count: number }>>;
  /**
   * Deletes terminal instances completed before `beforeMs` with their history (at most
   * `PRUNE_BATCH` per call: call again while it returns that many), and older rollups.
   */
  prune(beforeMs: number): Promise<{ instances: number }>;
  close(): Promise<void>;
}
