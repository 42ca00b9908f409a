import type { ActorFact, Fact, WorkflowFact } from "./facts.js";
import { applyWorkflowFact, durationBucket, type Effects, type InstanceState } from "./projection.js";
import type { InstanceStatus } from "./status.js";
import type { IngestResult } from "./store.js";

/** A value bound to a `?` placeholder. */
export type SqlValue = string | number | null;

/** The statements a store runs in one transaction; `?` placeholders in both dialects. */
export interface SqlSession {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  /** Runs a statement; resolves with the rows it changed. */
  run(sql: string, params?: readonly SqlValue[]): Promise<number>;
  /**
   * Takes transaction-long locks on `keys` (sorted by the caller), so writers of one instance in
   * other processes wait (PostgreSQL); a no-op where there is one writer.
   */
  lockKeys(keys: readonly string[]): Promise<void>;
}

/** One statement a {@link SqlPlan} asks its driver to run; the driver resumes the plan with the result. */
export type SqlOp =
  | { readonly kind: "all"; readonly sql: string; readonly params: readonly SqlValue[] }
  | { readonly kind: "run"; readonly sql: string; readonly params: readonly SqlValue[] }
  | { readonly kind: "lock"; readonly keys: readonly string[] };

/**
 * The ingest logic as a coroutine over statements: SQLite runs it synchronously in one transaction
 * (no promise per statement), PostgreSQL awaits each statement. One logic, two drivers.
 */
export type SqlPlan<T> = Generator<SqlOp, T, unknown>;

function* all<T>(sql: string, params: readonly SqlValue[]): Generator<SqlOp, T[], unknown> {
  return (yield { kind: "all", sql, params }) as T[];
}

function* run(sql: string, params: readonly SqlValue[]): Generator<SqlOp, number, unknown> {
  return (yield { kind: "run", sql, params }) as number;
}

/** Runs a plan with a session, awaiting each statement. */
export async function runPlan<T>(session: SqlSession, plan: SqlPlan<T>): Promise<T> {
  let step = plan.next();
  while (step.done !== true) {
    const op = step.value;
    const result =
      op.kind === "lock"
        ? await session.lockKeys(op.keys)
        : op.kind === "all"
          ? await session.all(op.sql, op.params)
          : await session.run(op.sql, op.params);
    step = plan.next(result);
  }
  return step.value;
}

/** A `mon_instances` row. */
export interface InstanceRow {
  app: string;
  instance_id: string;
  namespace: string;
  name: string;
  status: string;
  status_time_ms: number;
  created_ms: number;
  updated_ms: number;
  completed_ms: number | null;
  parent_app: string | null;
  parent_id: string | null;
  error_type: string | null;
  error_message: string | null;
  stack_trace: string | null;
  input: string | null;
  output: string | null;
  event_count: number;
}

/** The state a row holds. */
export function stateOf(row: InstanceRow): InstanceState {
  return {
    app: row.app,
    namespace: row.namespace,
    instanceId: row.instance_id,
    name: row.name,
    status: row.status as InstanceStatus,
    statusTimeMs: Number(row.status_time_ms),
    createdAtMs: Number(row.created_ms),
    lastUpdatedAtMs: Number(row.updated_ms),
    completedAtMs: row.completed_ms === null ? null : Number(row.completed_ms),
    parentApp: row.parent_app,
    parentInstanceId: row.parent_id,
    failure:
      row.error_type === null
        ? null
        : { errorType: row.error_type, errorMessage: row.error_message ?? "", stackTrace: row.stack_trace },
    input: row.input,
    output: row.output,
    eventCount: Number(row.event_count),
  };
}

const INSERT_EVENT = `INSERT INTO mon_events (source, id, app, instance_id, type, time_ms, time, summary, data)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, id) DO NOTHING`;
const SELECT_INSTANCE = `SELECT * FROM mon_instances WHERE app = ? AND instance_id = ?`;
const UPSERT_INSTANCE = `INSERT INTO mon_instances (app, instance_id, namespace, name, status, status_time_ms,
  created_ms, updated_ms, completed_ms, parent_app, parent_id, error_type, error_message, stack_trace, input, output,
  event_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
  ON CONFLICT (app, instance_id) DO UPDATE SET namespace = excluded.namespace, name = excluded.name,
  status = excluded.status, status_time_ms = excluded.status_time_ms, created_ms = excluded.created_ms,
  updated_ms = excluded.updated_ms, completed_ms = excluded.completed_ms, parent_app = excluded.parent_app,
  parent_id = excluded.parent_id, error_type = excluded.error_type, error_message = excluded.error_message,
  stack_trace = excluded.stack_trace, input = excluded.input, output = excluded.output,
  event_count = excluded.event_count`;
const ADD_STATUS = `INSERT INTO mon_status_counts (app, name, status, n) VALUES (?, ?, ?, ?)
  ON CONFLICT (app, name, status) DO UPDATE SET n = mon_status_counts.n + excluded.n`;
const ADD_MINUTE = `INSERT INTO mon_workflow_minutes (app, name, minute, started, completed, failed, activity_failures)
  VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (app, name, minute) DO UPDATE SET
  started = mon_workflow_minutes.started + excluded.started,
  completed = mon_workflow_minutes.completed + excluded.completed,
  failed = mon_workflow_minutes.failed + excluded.failed,
  activity_failures = mon_workflow_minutes.activity_failures + excluded.activity_failures`;
const ADD_DURATION = `INSERT INTO mon_durations (app, name, minute, bucket, n) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (app, name, minute, bucket) DO UPDATE SET n = mon_durations.n + excluded.n`;
const ADD_LINK = `INSERT INTO mon_links (parent_app, parent_id, child_app, child_id, child_name) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (parent_app, parent_id, child_app, child_id) DO NOTHING`;
const ADD_ACTOR = `INSERT INTO mon_actor_minutes (app, actor_type, minute, activations, invocations, reminders, timers,
  deactivations) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (app, actor_type, minute) DO UPDATE SET
  activations = mon_actor_minutes.activations + excluded.activations,
  invocations = mon_actor_minutes.invocations + excluded.invocations,
  reminders = mon_actor_minutes.reminders + excluded.reminders,
  timers = mon_actor_minutes.timers + excluded.timers,
  deactivations = mon_actor_minutes.deactivations + excluded.deactivations`;

const minuteOf = (ms: number): number => Math.floor(ms / 60_000);

/**
 * The rollup changes of a batch, summed in memory and written at the end of the transaction in
 * one order (by table and key): concurrent transactions of several replicas then take the shared
 * rollup rows in the same order and cannot deadlock on them.
 */
class Rollups {
  readonly #rows = new Map<string, { sql: string; key: SqlValue[]; values: number[] }>();

  #add(table: string, sql: string, key: SqlValue[], values: number[]): void {
    const id = `${table}\u0000${key.join("\u0000")}`;
    const row = this.#rows.get(id);
    if (row === undefined) this.#rows.set(id, { sql, key, values });
    else values.forEach((value, i) => (row.values[i] = (row.values[i] ?? 0) + value));
  }

  status(app: string, name: string, status: InstanceStatus, delta: number): void {
    this.#add("1", ADD_STATUS, [app, name, status], [delta]);
  }

  minute(app: string, name: string, timeMs: number, counts: [number, number, number, number]): void {
    this.#add("2", ADD_MINUTE, [app, name, minuteOf(timeMs)], counts);
  }

  duration(app: string, name: string, timeMs: number, durationMs: number): void {
    this.#add("3", ADD_DURATION, [app, name, minuteOf(timeMs), durationBucket(durationMs)], [1]);
  }

  actor(fact: ActorFact): void {
    const c = fact.counter;
    const counts = ["activations", "invocations", "reminders", "timers", "deactivations"].map((name) =>
      name === c ? 1 : 0,
    );
    this.#add("4", ADD_ACTOR, [fact.app, fact.actorType, minuteOf(fact.timeMs)], counts);
  }

  *write(): SqlPlan<void> {
    const ids = [...this.#rows.keys()].sort();
    for (const id of ids) {
      const row = this.#rows.get(id);
      if (row !== undefined) yield* run(row.sql, [...row.key, ...row.values]);
    }
  }
}

function addEffects(rollups: Rollups, state: InstanceState, fact: WorkflowFact, effects: Effects): void {
  const { app, name } = state;
  if (effects.statusFrom !== undefined) rollups.status(app, name, effects.statusFrom, -1);
  if (effects.statusTo !== undefined) rollups.status(app, name, effects.statusTo, 1);
  const endMs = state.completedAtMs ?? fact.timeMs;
  if (effects.started) rollups.minute(app, name, fact.timeMs, [1, 0, 0, 0]);
  if (effects.completed || effects.failed || effects.activityFailed) {
    rollups.minute(app, name, effects.activityFailed ? fact.timeMs : endMs, [
      0,
      effects.completed ? 1 : 0,
      effects.failed ? 1 : 0,
      effects.activityFailed ? 1 : 0,
    ]);
  }
  if (effects.durationMs !== undefined) rollups.duration(app, name, endMs, effects.durationMs);
}

/**
 * The instances a batch touches, read once and written once: events of one instance often come
 * several to a batch, and the row is the costly part of applying one.
 */
class InstanceCache {
  readonly #states = new Map<string, InstanceState | undefined>();
  readonly #dirty = new Set<string>();

  *get(app: string, instanceId: string): SqlPlan<InstanceState | undefined> {
    const key = `${app}\u0000${instanceId}`;
    if (this.#states.has(key)) return this.#states.get(key);
    const rows = yield* all<InstanceRow>(SELECT_INSTANCE, [app, instanceId]);
    const state = rows[0] === undefined ? undefined : stateOf(rows[0]);
    this.#states.set(key, state);
    return state;
  }

  set(state: InstanceState): void {
    const key = `${state.app}\u0000${state.instanceId}`;
    this.#states.set(key, state);
    this.#dirty.add(key);
  }

  *write(): SqlPlan<void> {
    for (const key of this.#dirty) {
      const next = this.#states.get(key);
      if (next === undefined) continue;
      yield* run(UPSERT_INSTANCE, [
        next.app,
        next.instanceId,
        next.namespace,
        next.name,
        next.status,
        next.statusTimeMs,
        next.createdAtMs,
        next.lastUpdatedAtMs,
        next.completedAtMs,
        next.parentApp,
        next.parentInstanceId,
        next.failure?.errorType ?? null,
        next.failure?.errorMessage ?? null,
        next.failure?.stackTrace ?? null,
        next.input,
        next.output,
        next.eventCount,
      ]);
    }
  }
}

function* ingestWorkflow(
  cache: InstanceCache,
  rollups: Rollups,
  fact: WorkflowFact,
): SqlPlan<{ next: InstanceState; effects: Effects }> {
  const previous = yield* cache.get(fact.app, fact.instanceId);
  const { next, effects } = applyWorkflowFact(previous, fact);
  // A name learnt late moves the instance's count to its real name.
  if (previous !== undefined && previous.name !== next.name) {
    rollups.status(previous.app, previous.name, previous.status, -1);
    rollups.status(next.app, next.name, previous.status, 1);
  }
  cache.set(next);
  addEffects(rollups, next, fact, effects);
  if (fact.child !== undefined) {
    yield* run(ADD_LINK, [fact.app, fact.instanceId, fact.child.app, fact.child.instanceId, fact.child.name]);
  }
  if (fact.parent !== undefined && previous?.parentInstanceId == null) {
    yield* run(ADD_LINK, [fact.parent.app, fact.parent.instanceId, fact.app, fact.instanceId, next.name]);
  }
  return { next, effects };
}

/** The lock key of a fact: its instance, or (actor events) the event itself. */
function lockKey(fact: Fact): string {
  return fact.kind === "workflow"
    ? `w\u001f${fact.app}\u001f${fact.instanceId}`
    : `a\u001f${fact.source}\u001f${fact.id}`;
}

/**
 * Applies facts in order inside the caller's transaction: each is first recorded in `mon_events`
 * (source + id unique), and applied only if that insert added a row, so a redelivery is a no-op.
 * The locks of every key the batch touches are taken first, in sorted order, then the events, then
 * the rollups (sorted): so replicas sharing a store wait for each other instead of deadlocking.
 */
export function* ingestFacts(facts: readonly Fact[]): SqlPlan<IngestResult> {
  yield { kind: "lock", keys: [...new Set(facts.map(lockKey))].sort() };
  const rollups = new Rollups();
  const cache = new InstanceCache();
  let ingested = 0;
  let duplicates = 0;
  const changed = new Map<string, { app: string; instanceId: string; status: InstanceStatus }>();
  const failed: Array<{ app: string; name: string }> = [];
  for (const fact of facts) {
    const workflow = fact.kind === "workflow";
    const inserted = yield* run(INSERT_EVENT, [
      fact.source,
      fact.id,
      fact.app,
      workflow ? fact.instanceId : null,
      fact.type,
      fact.timeMs,
      new Date(fact.timeMs).toISOString(),
      workflow ? fact.summary : null,
      workflow ? JSON.stringify(fact.data) : null,
    ]);
    if (inserted === 0) {
      duplicates++;
      continue;
    }
    ingested++;
    if (!workflow) {
      rollups.actor(fact);
      continue;
    }
    const { next, effects } = yield* ingestWorkflow(cache, rollups, fact);
    changed.set(`${next.app}\u0000${next.instanceId}`, {
      app: next.app,
      instanceId: next.instanceId,
      status: next.status,
    });
    if (effects.failed) failed.push({ app: next.app, name: next.name });
  }
  yield* cache.write();
  yield* rollups.write();
  return { ingested, duplicates, changed: [...changed.values()], failed };
}
