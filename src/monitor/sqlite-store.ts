import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Fact } from "./facts.js";
import { ingestFacts, type SqlPlan, type SqlSession, type SqlValue } from "./sql-ingest.js";
import * as queries from "./sql-queries.js";
import { schemaStatements } from "./sql-schema.js";
import type { MonitorStore } from "./store.js";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** The database file (its folder is created), or `:memory:`. */
  readonly file: string;
}

/** A session over one better-sqlite3 connection, with its prepared statements cached. */
class SqliteSession implements SqlSession {
  readonly #db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(db: Database.Database) {
    this.#db = db;
  }

  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return Promise.resolve(this.#prepare(sql).all(...params) as T[]);
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return Promise.resolve(this.#prepare(sql).run(...params).changes);
  }

  lockKeys(): Promise<void> {
    // One connection, one writer at a time (SqliteStore serialises its transactions).
    return Promise.resolve();
  }

  /** Runs a plan synchronously: no promise per statement on the ingest path. */
  runSync<T>(plan: SqlPlan<T>): T {
    let step = plan.next();
    while (step.done !== true) {
      const op = step.value;
      const result =
        op.kind === "lock"
          ? undefined
          : op.kind === "all"
            ? this.#prepare(op.sql).all(...op.params)
            : this.#prepare(op.sql).run(...op.params).changes;
      step = plan.next(result);
    }
    return step.value;
  }
}

/**
 * The embedded store: one SQLite file in WAL mode, so one command runs the monitor. Writes are
 * serialised in this process (one transaction at a time); reads run beside them.
 */
class SqliteStore extends queries.SqlStoreReads implements MonitorStore {
  readonly kind = "sqlite";
  readonly #db: Database.Database;
  readonly #session: SqliteSession;
  #tail: Promise<unknown> = Promise.resolve();

  constructor(db: Database.Database) {
    const session = new SqliteSession(db);
    super(session);
    this.#db = db;
    this.#session = session;
  }

  /** Runs `body` in one transaction, after the transactions queued before it. */
  #transaction<T>(body: (session: SqlSession) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await body(this.#session);
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec("ROLLBACK");
        throw BridgeError.from(error, "the monitor's SQLite store failed");
      }
    };
    const result = this.#tail.then(run, run);
    this.#tail = result.catch(() => undefined);
    return result;
  }

  ingest(facts: readonly Fact[]) {
    return this.#transaction(() => Promise.resolve(this.#session.runSync(ingestFacts(facts))));
  }

  prune(beforeMs: number) {
    return this.#transaction((session) => queries.prune(session, beforeMs));
  }

  async close(): Promise<void> {
    await this.#tail;
    if (this.#db.open) this.#db.close();
  }
}

/** Opens (and creates, or brings up to date) the monitor's SQLite store. */
export function openSqliteStore(options: SqliteStoreOptions): MonitorStore {
  let db: Database.Database;
  try {
    if (options.file !== ":memory:") mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
    db = new Database(options.file);
  } catch (error) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `the monitor cannot open its SQLite store ${JSON.stringify(options.file)}: ${error instanceof Error ? error.message : String(error)}; pass --db with a writable file path`,
      { cause: error },
    );
  }
  db.pragma("journal_mode = WAL");
  // WAL with NORMAL: a power cut can lose the last commits but never corrupts the file.
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  // 64 MiB of page cache (the default is 2 MiB): the indexes of a million events stay in memory.
  db.pragma("cache_size = -65536");
  // Checkpoint every ~40 MiB of WAL rather than 4 MiB: pages written by many batches are copied once.
  db.pragma("wal_autocheckpoint = 10000");
  for (const statement of schemaStatements("sqlite")) db.exec(statement);
  return new SqliteStore(db);
}
