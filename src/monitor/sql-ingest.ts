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
  /** Serialises writers of one instance across processes (PostgreSQL); a no-op where there is one writer. */
  lockInstance(app: string, instanceId: string): Promise<void>;
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
const ADD_DURATION = `INSERT INTO mon_durations (app, name, minute, bucket, n) VALUES (?, ?, ?, ?, 1)
  ON CONFLICT (app, name, minute, bucket) DO UPDATE SET n = mon_durations.n + 1`;
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

async function writeEffects(session: SqlSession, state: InstanceState, fact: WorkflowFact, effects: Effects) {
  const { app, name } = state;
  // Status rows in one order (by status) in every transaction, so concurrent writers cannot deadlock.
  const deltas: Array<[InstanceStatus, number]> = [];
  if (effects.statusFrom !== undefined) deltas.push([effects.statusFrom, -1]);
  if (effects.statusTo !== undefined) deltas.push([effects.statusTo, 1]);
  deltas.sort((a, b) => a[0].localeCompare(b[0]));
  for (const [status, delta] of deltas) await session.run(ADD_STATUS, [app, name, status, delta]);
  if (effects.started || effects.completed || effects.failed || effects.activityFailed) {
    await session.run(ADD_MINUTE, [
      app,
      name,
      minuteOf(effects.started ? fact.timeMs : (state.completedAtMs ?? fact.timeMs)),
      effects.started ? 1 : 0,
      effects.completed ? 1 : 0,
      effects.failed ? 1 : 0,
      effects.activityFailed ? 1 : 0,
    ]);
  }
  if (effects.durationMs !== undefined) {
    await session.run(ADD_DURATION, [
      app,
      name,
      minuteOf(state.completedAtMs ?? fact.timeMs),
      durationBucket(effects.durationMs),
    ]);
  }
}

async function ingestWorkflow(session: SqlSession, fact: WorkflowFact) {
  await session.lockInstance(fact.app, fact.instanceId);
  const rows = await session.all<InstanceRow>(SELECT_INSTANCE, [fact.app, fact.instanceId]);
  const previous = rows[0] === undefined ? undefined : stateOf(rows[0]);
  const { next, effects } = applyWorkflowFact(previous, fact);
  // A name learnt late moves the instance's count to its real name.
  if (previous !== undefined && previous.name !== next.name) {
    await session.run(ADD_STATUS, [previous.app, previous.name, previous.status, -1]);
    await session.run(ADD_STATUS, [next.app, next.name, previous.status, 1]);
  }
  await session.run(UPSERT_INSTANCE, [
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
  await writeEffects(session, next, fact, effects);
  if (fact.child !== undefined) {
    await session.run(ADD_LINK, [fact.app, fact.instanceId, fact.child.app, fact.child.instanceId, fact.child.name]);
  }
  if (fact.parent !== undefined && previous?.parentInstanceId == null) {
    await session.run(ADD_LINK, [fact.parent.app, fact.parent.instanceId, fact.app, fact.instanceId, next.name]);
  }
  return { next, effects };
}

async function ingestActor(session: SqlSession, fact: ActorFact): Promise<void> {
  const c = fact.counter;
  await session.run(ADD_ACTOR, [
    fact.app,
    fact.actorType,
    minuteOf(fact.timeMs),
    c === "activations" ? 1 : 0,
    c === "invocations" ? 1 : 0,
    c === "reminders" ? 1 : 0,
    c === "timers" ? 1 : 0,
    c === "deactivations" ? 1 : 0,
  ]);
}

/**
 * Applies facts in order inside the caller's transaction: each is first recorded in `mon_events`
 * (source + id unique), and applied only if that insert added a row, so a redelivery is a no-op.
 */
export async function ingestFacts(session: SqlSession, facts: readonly Fact[]): Promise<IngestResult> {
  let ingested = 0;
  let duplicates = 0;
  const changed = new Map<string, { app: string; instanceId: string; status: InstanceStatus }>();
  const failed: Array<{ app: string; name: string }> = [];
  for (const fact of facts) {
    const workflow = fact.kind === "workflow";
    const inserted = await session.run(INSERT_EVENT, [
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
      await ingestActor(session, fact);
      continue;
    }
    const { next, effects } = await ingestWorkflow(session, fact);
    changed.set(`${next.app}\u0000${next.instanceId}`, {
      app: next.app,
      instanceId: next.instanceId,
      status: next.status,
    });
    if (effects.failed) failed.push({ app: next.app, name: next.name });
  }
  return { ingested, duplicates, changed: [...changed.values()], failed };
}
