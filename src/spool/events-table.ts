import type Database from "better-sqlite3";

// Every SQL statement on the spool's `events` table (its schema is in schema.ts): those the
// running spool prepares (SqliteSpool) and those of the operator's commands on a spool file
// (spool-admin.ts). Nothing else writes SQL against the table.

/** A row of the events table as better-sqlite3 returns it. */
export interface EventRow {
  seq: number;
  id: string;
  key: string;
  type: string;
  pubsub: string;
  topic: string;
  format: string;
  payload: Buffer;
  accepted_at: number;
  attempts: number;
  dead_letter: number;
}

/** The columns that make an {@link EventRow}. */
export const EVENT_COLUMNS = "seq, id, key, type, pubsub, topic, format, payload, accepted_at, attempts, dead_letter";

/** The statements of a running spool. */
export interface Statements {
  insert: Database.Statement<[string, string, string, string, string, string, Uint8Array, number, number]>;
  readPending: Database.Statement<[number, number], EventRow>;
  remove: Database.Statement<[string], { state: string; bytes: number }>;
  rangeCounts: Database.Statement<[number, number], { n: number; bytes: number }>;
  removeRange: Database.Statement<[number, number]>;
  setAttempts: Database.Statement<[number, number]>;
  current: Database.Statement<[number], { state: string; bytes: number }>;
  markDead: Database.Statement<[Uint8Array, string, string, string, string, number, number, number]>;
  counts: Database.Statement<[], { state: string; n: number; bytes: number }>;
}

/** Prepares the statements {@link SqliteSpool} runs on an open spool database. */
export function prepareStatements(db: Database.Database): Statements {
  return {
    insert: db.prepare(
      `INSERT INTO events (id, key, type, pubsub, topic, format, payload, accepted_at, dead_letter)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    readPending: db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
    ),
    remove: db.prepare(
      "DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?)) RETURNING state, length(payload) AS bytes",
    ),
    // Published rows under the delivery queue's watermark: one range of the rowid tree, so
    // whole pages are freed instead of one row dirtying each page.
    rangeCounts: db.prepare(
      `SELECT count(*) AS n, coalesce(sum(length(payload)), 0) AS bytes FROM events
       WHERE seq >= ? AND seq < ? AND state = 'pending'`,
    ),
    removeRange: db.prepare("DELETE FROM events WHERE seq >= ? AND seq < ? AND state = 'pending'"),
    setAttempts: db.prepare("UPDATE events SET attempts = ? WHERE seq = ?"),
    current: db.prepare("SELECT state, length(payload) AS bytes FROM events WHERE seq = ?"),
    markDead: db.prepare(
      `UPDATE events SET state = 'dead', dead_letter = 1, payload = ?, pubsub = ?, topic = ?,
         dead_reason = ?, dead_error = ?, attempts = ?, dead_at = ? WHERE seq = ?`,
    ),
    counts: db.prepare(
      "SELECT state, count(*) AS n, coalesce(sum(length(payload)), 0) AS bytes FROM events GROUP BY state",
    ),
  };
}

/** A selection of dead letters: SQL giving their seqs, oldest first, and its parameters. */
export interface Where {
  readonly sql: string;
  readonly params: Array<string | number>;
}

/** Which dead letters a selection takes; all given conditions hold. */
export interface DeadLetterSelection {
  readonly type?: string;
  readonly olderThanMs?: number;
  readonly newerThanMs?: number;
  readonly limit?: number;
  /** "Now" for the ages, ms since the epoch. */
  readonly now: number;
}

/** SQL selecting the seqs of the dead letters that match, oldest first. */
export function selectDeadLetters(filter: DeadLetterSelection): Where {
  const clauses = ["state = 'dead'"];
  const params: Array<string | number> = [];
  const now = filter.now;
  if (filter.type !== undefined) {
    if (filter.type.endsWith("*")) {
      const prefix = filter.type.slice(0, -1);
      clauses.push("substr(type, 1, ?) = ?");
      params.push(prefix.length, prefix);
    } else {
      clauses.push("type = ?");
      params.push(filter.type);
    }
  }
  if (filter.olderThanMs !== undefined) {
    clauses.push("dead_at <= ?");
    params.push(now - filter.olderThanMs);
  }
  if (filter.newerThanMs !== undefined) {
    clauses.push("dead_at >= ?");
    params.push(now - filter.newerThanMs);
  }
  let sql = `SELECT seq FROM events WHERE ${clauses.join(" AND ")} ORDER BY seq`;
  if (filter.limit !== undefined) {
    sql += " LIMIT ?";
    params.push(filter.limit);
  }
  return { sql, params };
}

/** A dead letter's row without its payload. */
export interface DeadLetterRow {
  seq: number;
  id: string;
  key: string;
  type: string;
  pubsub: string;
  topic: string;
  format: string;
  bytes: number;
  accepted_at: number;
  dead_at: number | null;
  attempts: number;
  reason: string;
  error: string;
}

/** The dead letters of a selection, without payloads, oldest first. */
export function listDeadLetterRows(db: Database.Database, where: Where): DeadLetterRow[] {
  return db
    .prepare<unknown[], DeadLetterRow>(
      `SELECT seq, id, key, type, pubsub, topic, format, length(payload) AS bytes, accepted_at, dead_at,
         attempts, coalesce(dead_reason, '') AS reason, coalesce(dead_error, '') AS error
       FROM events WHERE seq IN (${where.sql}) ORDER BY seq`,
    )
    .all(...where.params);
}

/** Moves the dead letters of a selection back to pending (attempts 0); returns how many. */
export function replayDeadLetterRows(db: Database.Database, where: Where): number {
  return db
    .prepare(
      `UPDATE events SET state = 'pending', attempts = 0, dead_reason = NULL, dead_error = NULL, dead_at = NULL
       WHERE seq IN (${where.sql})`,
    )
    .run(...where.params).changes;
}

/** How many rows a selection holds. */
export function countSelection(db: Database.Database, where: Where): number {
  return db.prepare<unknown[], { n: number }>(`SELECT count(*) AS n FROM (${where.sql})`).get(...where.params)?.n ?? 0;
}

/** Deletes the rows of a selection for good; returns how many. */
export function deleteSelection(db: Database.Database, where: Where): number {
  return db.prepare(`DELETE FROM events WHERE seq IN (${where.sql})`).run(...where.params).changes;
}

/** The counts and ages of a spool file, in one scan. */
export interface StatsRow {
  pending: number;
  dead: number;
  bytes: number;
  oldestPending: number | null;
  oldestDead: number | null;
}

/** Reads {@link StatsRow} from a spool database. */
export function readStatsRow(db: Database.Database): StatsRow | undefined {
  return db
    .prepare<[], StatsRow>(
      `SELECT
         coalesce(sum(state = 'pending'), 0) AS pending,
         coalesce(sum(state = 'dead'), 0) AS dead,
         coalesce(sum(length(payload)), 0) AS bytes,
         min(CASE WHEN state = 'pending' THEN accepted_at END) AS oldestPending,
         min(CASE WHEN state = 'dead' THEN dead_at END) AS oldestDead
       FROM events`,
    )
    .get();
}
