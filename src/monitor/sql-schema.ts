/** The SQL dialects the monitor stores in. */
export type SqlDialect = "sqlite" | "postgres";

/**
 * The projection's tables, the same for both stores (only the key of `mon_events` differs).
 * Times are ms since the epoch; `minute` columns are `floor(ms / 60000)`.
 *
 * - `mon_events`: every event once (UNIQUE source + id is the dedupe); workflow events keep their
 *   history line and data, actor events only their key (`instance_id` NULL).
 * - `mon_instances`: one row per workflow instance, its current state.
 * - `mon_links`: parent → child, from `child.created` and from a child's own start.
 * - `mon_status_counts`: instances by current status, kept in step with `mon_instances`.
 * - `mon_workflow_minutes`, `mon_durations`, `mon_actor_minutes`: per-minute rollups for rates,
 *   duration percentiles (log buckets) and actor counters.
 */
export function schemaStatements(dialect: SqlDialect): string[] {
  const seq = dialect === "sqlite" ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY";
  return [
    `CREATE TABLE IF NOT EXISTS mon_events (
      seq ${seq}, source TEXT NOT NULL, id TEXT NOT NULL, app TEXT NOT NULL, instance_id TEXT,
      type TEXT NOT NULL, time_ms BIGINT NOT NULL, time TEXT NOT NULL, summary TEXT, data TEXT,
      UNIQUE (source, id))`,
    `CREATE INDEX IF NOT EXISTS mon_events_instance ON mon_events (app, instance_id, time_ms, seq)`,
    // Retention drops actor event keys by age without scanning the workflow events.
    `CREATE INDEX IF NOT EXISTS mon_events_actor_time ON mon_events (time_ms) WHERE instance_id IS NULL`,
    `CREATE TABLE IF NOT EXISTS mon_instances (
      app TEXT NOT NULL, instance_id TEXT NOT NULL, namespace TEXT NOT NULL, name TEXT NOT NULL,
      status TEXT NOT NULL, status_time_ms BIGINT NOT NULL, created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL,
      completed_ms BIGINT, parent_app TEXT, parent_id TEXT, error_type TEXT, error_message TEXT, stack_trace TEXT,
      input TEXT, output TEXT, event_count BIGINT NOT NULL, PRIMARY KEY (app, instance_id))`,
    `CREATE INDEX IF NOT EXISTS mon_instances_created ON mon_instances (created_ms, app, instance_id)`,
    `CREATE INDEX IF NOT EXISTS mon_instances_status ON mon_instances (status, created_ms, app, instance_id)`,
    `CREATE INDEX IF NOT EXISTS mon_instances_name ON mon_instances (name, created_ms, app, instance_id)`,
    `CREATE INDEX IF NOT EXISTS mon_instances_name_status ON mon_instances (name, status, created_ms, app, instance_id)`,
    `CREATE INDEX IF NOT EXISTS mon_instances_status_updated ON mon_instances (status, updated_ms)`,
    `CREATE INDEX IF NOT EXISTS mon_instances_completed ON mon_instances (completed_ms)`,
    `CREATE TABLE IF NOT EXISTS mon_links (
      parent_app TEXT NOT NULL, parent_id TEXT NOT NULL, child_app TEXT NOT NULL, child_id TEXT NOT NULL,
      child_name TEXT NOT NULL, PRIMARY KEY (parent_app, parent_id, child_app, child_id))`,
    `CREATE TABLE IF NOT EXISTS mon_status_counts (
      app TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, n BIGINT NOT NULL,
      PRIMARY KEY (app, name, status))`,
    `CREATE TABLE IF NOT EXISTS mon_workflow_minutes (
      app TEXT NOT NULL, name TEXT NOT NULL, minute BIGINT NOT NULL, started BIGINT NOT NULL,
      completed BIGINT NOT NULL, failed BIGINT NOT NULL, activity_failures BIGINT NOT NULL,
      PRIMARY KEY (app, name, minute))`,
    `CREATE TABLE IF NOT EXISTS mon_durations (
      app TEXT NOT NULL, name TEXT NOT NULL, minute BIGINT NOT NULL, bucket INTEGER NOT NULL, n BIGINT NOT NULL,
      PRIMARY KEY (app, name, minute, bucket))`,
    `CREATE TABLE IF NOT EXISTS mon_actor_minutes (
      app TEXT NOT NULL, actor_type TEXT NOT NULL, minute BIGINT NOT NULL, activations BIGINT NOT NULL,
      invocations BIGINT NOT NULL, reminders BIGINT NOT NULL, timers BIGINT NOT NULL, deactivations BIGINT NOT NULL,
      PRIMARY KEY (app, actor_type, minute))`,
  ];
}
