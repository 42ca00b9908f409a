import { percentiles } from "./projection.js";
import type { InstanceRow, SqlSession, SqlValue } from "./sql-ingest.js";
import { ACTIVE_STATUSES, TERMINAL_STATUSES, type InstanceStatus } from "./status.js";
import type {
  ActorAggregate,
  Aggregates,
  HistoryEvent,
  InstanceDetail,
  InstancePage,
  InstanceSummary,
  ListQuery,
  MonitorStore,
  WorkflowAggregate,
  WorkflowCount,
} from "./store.js";

/** The read side of a store: the statements run outside any write transaction. */
export type SqlReader = Pick<SqlSession, "all" | "run">;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(Number(ms)).toISOString());

function summaryOf(row: InstanceRow): InstanceSummary {
  return {
    app: row.app,
    namespace: row.namespace,
    instanceId: row.instance_id,
    name: row.name,
    status: row.status as InstanceStatus,
    createdAt: new Date(Number(row.created_ms)).toISOString(),
    lastUpdatedAt: new Date(Number(row.updated_ms)).toISOString(),
    completedAt: iso(row.completed_ms),
    parentInstanceId: row.parent_id,
    failure:
      row.error_type === null
        ? null
        : { errorType: row.error_type, errorMessage: row.error_message ?? "", stackTrace: row.stack_trace },
    eventCount: Number(row.event_count),
  };
}

const LIST_COLUMNS = `app, instance_id, namespace, name, status, status_time_ms, created_ms, updated_ms, completed_ms,
  parent_app, parent_id, error_type, error_message, stack_trace, NULL AS input, NULL AS output, event_count`;

/** A page of instances, newest first (created time, then app and instance id, descending). */
export async function listInstances(db: SqlReader, query: ListQuery): Promise<InstancePage> {
  const where: string[] = [];
  const params: SqlValue[] = [];
  const filter = (clause: string, value: SqlValue): void => {
    where.push(clause);
    params.push(value);
  };
  if (query.status !== undefined) filter("status = ?", query.status);
  if (query.name !== undefined) filter("name = ?", query.name);
  if (query.app !== undefined) filter("app = ?", query.app);
  if (query.sinceMs !== undefined) filter("updated_ms >= ?", query.sinceMs);
  if (query.untilMs !== undefined) filter("created_ms <= ?", query.untilMs);
  const countSql = `SELECT COUNT(*) AS n FROM mon_instances${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}`;
  const countParams = [...params];
  const cursor = query.cursor;
  if (cursor !== undefined) {
    where.push("(created_ms < ? OR (created_ms = ? AND (app < ? OR (app = ? AND instance_id < ?))))");
    params.push(cursor.createdAtMs, cursor.createdAtMs, cursor.app, cursor.app, cursor.instanceId);
  }
  const rows = await db.all<InstanceRow>(
    `SELECT ${LIST_COLUMNS} FROM mon_instances${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""}
     ORDER BY created_ms DESC, app DESC, instance_id DESC LIMIT ?`,
    [...params, query.limit + 1],
  );
  const [count] = await db.all<{ n: number }>(countSql, countParams);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    instances: page.map(summaryOf),
    next:
      rows.length > query.limit && last !== undefined
        ? { createdAtMs: Number(last.created_ms), app: last.app, instanceId: last.instance_id }
        : undefined,
    total: Number(count?.n ?? 0),
  };
}

/** One instance with its parent and children; undefined when unknown. */
export async function getInstance(db: SqlReader, app: string, instanceId: string): Promise<InstanceDetail | undefined> {
  const [row] = await db.all<InstanceRow>(`SELECT * FROM mon_instances WHERE app = ? AND instance_id = ?`, [
    app,
    instanceId,
  ]);
  if (row === undefined) return undefined;
  const children = await db.all<{ child_app: string; child_id: string; child_name: string; status: string | null }>(
    `SELECT l.child_app, l.child_id, COALESCE(i.name, l.child_name) AS child_name, i.status
     FROM mon_links l LEFT JOIN mon_instances i ON i.app = l.child_app AND i.instance_id = l.child_id
     WHERE l.parent_app = ? AND l.parent_id = ? ORDER BY l.child_id`,
    [app, instanceId],
  );
  return {
    ...summaryOf(row),
    ...(row.input === null ? {} : { input: row.input }),
    ...(row.output === null ? {} : { output: row.output }),
    parent: row.parent_id === null ? null : { app: row.parent_app ?? row.app, instanceId: row.parent_id },
    children: children.map((child) => ({
      app: child.child_app,
      instanceId: child.child_id,
      name: child.child_name,
      // A child announced by its parent's child.created but not seen yet.
      status: (child.status ?? "PENDING") as InstanceStatus,
    })),
  };
}

/** An instance's events ordered by event time, then arrival. */
export async function history(db: SqlReader, app: string, instanceId: string): Promise<HistoryEvent[] | undefined> {
  const rows = await db.all<{ id: string; source: string; type: string; time: string; summary: string; data: string }>(
    `SELECT id, source, type, time, summary, data FROM mon_events
     WHERE app = ? AND instance_id = ? ORDER BY time_ms, seq`,
    [app, instanceId],
  );
  if (rows.length === 0) return undefined;
  return rows.map((row, index) => ({
    seq: index + 1,
    id: row.id,
    source: row.source,
    type: row.type,
    time: row.time,
    summary: row.summary,
    data: JSON.parse(row.data) as unknown,
  }));
}

type WorkflowKey = `${string}\u0000${string}`;

/** Rollups since `sinceMs` (all stored when undefined), rates per minute of the window. */
export async function aggregates(db: SqlReader, sinceMs: number | undefined, nowMs: number): Promise<Aggregates> {
  const sinceMinute = sinceMs === undefined ? Number.MIN_SAFE_INTEGER : Math.floor(sinceMs / 60_000);
  const workflows = new Map<WorkflowKey, WorkflowAggregate & { byStatus: Partial<Record<InstanceStatus, number>> }>();
  const entry = (app: string, name: string) => {
    const key: WorkflowKey = `${app}\u0000${name}`;
    let found = workflows.get(key);
    if (found === undefined) {
      found = {
        app,
        name,
        byStatus: {},
        started: 0,
        completed: 0,
        failed: 0,
        startedPerMin: 0,
        completedPerMin: 0,
        failedPerMin: 0,
        durationMs: null,
        activityFailures: 0,
      };
      workflows.set(key, found);
    }
    return found;
  };
  for (const row of await db.all<{ app: string; name: string; status: string; n: number }>(
    `SELECT app, name, status, n FROM mon_status_counts WHERE n > 0`,
  )) {
    entry(row.app, row.name).byStatus[row.status as InstanceStatus] = Number(row.n);
  }
  const minutes = await db.all<{
    app: string;
    name: string;
    first: number;
    started: number;
    completed: number;
    failed: number;
    activity_failures: number;
  }>(
    `SELECT app, name, MIN(minute) AS first, SUM(started) AS started, SUM(completed) AS completed,
     SUM(failed) AS failed, SUM(activity_failures) AS activity_failures
     FROM mon_workflow_minutes WHERE minute >= ? GROUP BY app, name`,
    [sinceMinute],
  );
  const nowMinute = nowMs / 60_000;
  for (const row of minutes) {
    const found = entry(row.app, row.name);
    // The window: from `since`, or from the first minute stored; at least one minute.
    const windowMinutes = Math.max(1, nowMinute - (sinceMs === undefined ? Number(row.first) : sinceMs / 60_000));
    const rate = (n: number): number => Math.round((n / windowMinutes) * 100) / 100;
    Object.assign(found, {
      started: Number(row.started),
      completed: Number(row.completed),
      failed: Number(row.failed),
      activityFailures: Number(row.activity_failures),
      startedPerMin: rate(Number(row.started)),
      completedPerMin: rate(Number(row.completed)),
      failedPerMin: rate(Number(row.failed)),
    });
  }
  const buckets = new Map<WorkflowKey, Array<[number, number]>>();
  for (const row of await db.all<{ app: string; name: string; bucket: number; n: number }>(
    `SELECT app, name, bucket, SUM(n) AS n FROM mon_durations WHERE minute >= ? GROUP BY app, name, bucket`,
    [sinceMinute],
  )) {
    const key: WorkflowKey = `${row.app}\u0000${row.name}`;
    const list = buckets.get(key) ?? [];
    list.push([Number(row.bucket), Number(row.n)]);
    buckets.set(key, list);
  }
  for (const [key, list] of buckets) {
    const found = workflows.get(key);
    if (found !== undefined) Object.assign(found, { durationMs: percentiles(list) });
  }
  const actors = await db.all<{
    app: string;
    actor_type: string;
    activations: number;
    invocations: number;
    reminders: number;
    timers: number;
  }>(
    `SELECT app, actor_type, SUM(activations) AS activations, SUM(invocations) AS invocations,
     SUM(reminders) AS reminders, SUM(timers) AS timers
     FROM mon_actor_minutes WHERE minute >= ? GROUP BY app, actor_type ORDER BY app, actor_type`,
    [sinceMinute],
  );
  return {
    since: sinceMs === undefined ? null : new Date(sinceMs).toISOString(),
    workflows: [...workflows.values()].sort((a, b) => a.app.localeCompare(b.app) || a.name.localeCompare(b.name)),
    actors: actors.map((row): ActorAggregate => ({
      app: row.app,
      actorType: row.actor_type,
      activations: Number(row.activations),
      invocations: Number(row.invocations),
      reminders: Number(row.reminders),
      timers: Number(row.timers),
    })),
  };
}

/** Instances by app, name and status (only statuses with instances). */
export async function statusCounts(db: SqlReader): Promise<WorkflowCount[]> {
  const rows = await db.all<{ app: string; name: string; status: string; n: number }>(
    `SELECT app, name, status, n FROM mon_status_counts WHERE n > 0 ORDER BY app, name, status`,
  );
  return rows.map((row) => ({
    app: row.app,
    name: row.name,
    status: row.status as InstanceStatus,
    count: Number(row.n),
  }));
}

const placeholders = (n: number): string => Array.from({ length: n }, () => "?").join(", ");

/** Instances still in flight created before `createdBeforeMs`, by app and name. */
export async function stuckCounts(
  db: SqlReader,
  createdBeforeMs: number,
): Promise<Array<{ app: string; name: string; count: number }>> {
  const rows = await db.all<{ app: string; name: string; n: number }>(
    `SELECT app, name, COUNT(*) AS n FROM mon_instances
     WHERE status IN (${placeholders(ACTIVE_STATUSES.length)}) AND created_ms < ? GROUP BY app, name ORDER BY app, name`,
    [...ACTIVE_STATUSES, createdBeforeMs],
  );
  return rows.map((row) => ({ app: row.app, name: row.name, count: Number(row.n) }));
}

const TERMINAL = [...TERMINAL_STATUSES];

/** Most instances one retention pass deletes: one transaction stays short, the next pass goes on. */
export const PRUNE_BATCH = 2000;

/**
 * Deletes up to {@link PRUNE_BATCH} terminal instances completed before `beforeMs` (inside the
 * caller's transaction), with their history and links, keeps the status counts in step, and drops
 * older rollups and actor event keys. Every statement reads an index: a pass with nothing due is
 * cheap however large the store.
 */
export async function prune(db: SqlReader, beforeMs: number): Promise<{ instances: number }> {
  const due = await db.all<{ app: string; instance_id: string; name: string; status: string }>(
    `SELECT app, instance_id, name, status FROM mon_instances
     WHERE completed_ms < ? AND status IN (${placeholders(TERMINAL.length)}) LIMIT ${PRUNE_BATCH}`,
    [beforeMs, ...TERMINAL],
  );
  const counts = new Map<string, { app: string; name: string; status: string; n: number }>();
  for (const row of due) {
    await db.run(`DELETE FROM mon_events WHERE app = ? AND instance_id = ?`, [row.app, row.instance_id]);
    await db.run(`DELETE FROM mon_links WHERE parent_app = ? AND parent_id = ?`, [row.app, row.instance_id]);
    await db.run(`DELETE FROM mon_instances WHERE app = ? AND instance_id = ?`, [row.app, row.instance_id]);
    const key = `${row.app}\u0000${row.name}\u0000${row.status}`;
    const entry = counts.get(key) ?? { app: row.app, name: row.name, status: row.status, n: 0 };
    entry.n++;
    counts.set(key, entry);
  }
  for (const entry of [...counts.values()].sort((a, b) =>
    `${a.app}\u0000${a.name}\u0000${a.status}`.localeCompare(`${b.app}\u0000${b.name}\u0000${b.status}`),
  )) {
    await db.run(`UPDATE mon_status_counts SET n = n - ? WHERE app = ? AND name = ? AND status = ?`, [
      entry.n,
      entry.app,
      entry.name,
      entry.status,
    ]);
  }
  await db.run(`DELETE FROM mon_events WHERE instance_id IS NULL AND time_ms < ?`, [beforeMs]);
  const minute = Math.floor(beforeMs / 60_000);
  for (const table of ["mon_workflow_minutes", "mon_durations", "mon_actor_minutes"]) {
    await db.run(`DELETE FROM ${table} WHERE minute < ?`, [minute]);
  }
  await db.run(`DELETE FROM mon_status_counts WHERE n <= 0`);
  return { instances: due.length };
}

/** The queries of a {@link MonitorStore}: the same for every SQL store. */
type StoreReads = Pick<
  MonitorStore,
  "listInstances" | "getInstance" | "history" | "aggregates" | "statusCounts" | "stuckCounts"
>;

/**
 * The read side of a SQL store: the queries above over the store's reader. Each store adds its
 * writes (ingest, prune, close): those differ in how they take transactions and locks.
 */
export abstract class SqlStoreReads implements StoreReads {
  readonly #reader: SqlReader;

  protected constructor(reader: SqlReader) {
    this.#reader = reader;
  }

  listInstances(query: ListQuery): Promise<InstancePage> {
    return listInstances(this.#reader, query);
  }

  getInstance(app: string, instanceId: string): Promise<InstanceDetail | undefined> {
    return getInstance(this.#reader, app, instanceId);
  }

  history(app: string, instanceId: string): Promise<HistoryEvent[] | undefined> {
    return history(this.#reader, app, instanceId);
  }

  aggregates(sinceMs: number | undefined, nowMs: number): Promise<Aggregates> {
    return aggregates(this.#reader, sinceMs, nowMs);
  }

  statusCounts(): Promise<WorkflowCount[]> {
    return statusCounts(this.#reader);
  }

  stuckCounts(createdBeforeMs: number): ReturnType<MonitorStore["stuckCounts"]> {
    return stuckCounts(this.#reader, createdBeforeMs);
  }
}
