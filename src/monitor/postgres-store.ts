import pg from "pg";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Fact } from "./facts.js";
import { ingestFacts, runPlan, type SqlSession, type SqlValue } from "./sql-ingest.js";
import * as queries from "./sql-queries.js";
import { schemaStatements } from "./sql-schema.js";
import type { MonitorStore } from "./store.js";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /**
   * `postgres://user@host:port/database`; a `schema` query parameter puts the tables in that schema
   * (created if missing), e.g. to give each test run its own.
   */
  readonly url: string;
  /** Connections in the pool. @default 4 */
  readonly poolSize?: number;
}

/** How often a transaction that lost a deadlock or serialisation race is tried again. */
const ATTEMPTS = 5;
/** SQLSTATEs of a transaction PostgreSQL aborted to break a deadlock or a serialisation conflict. */
const RETRYABLE_STATES = new Set(["40P01", "40001"]);

/** `?` placeholders to PostgreSQL's `$n`, cached per statement text. */
const converted = new Map<string, string>();
function toPg(sql: string): string {
  let text = converted.get(sql);
  if (text === undefined) {
    let n = 0;
    text = sql.replace(/\?/g, () => `$${++n}`);
    converted.set(sql, text);
  }
  return text;
}

/** int8 (counts, ms times) and numeric (SUM) as numbers: every value the monitor stores is below 2^53. */
const types = {
  getTypeParser: ((oid: number) =>
    oid === 20 || oid === 1700
      ? (value: string) => Number(value)
      : (pg.types.getTypeParser(oid, "text") as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

class PgSession implements SqlSession {
  constructor(private readonly client: pg.PoolClient | pg.Pool) {}

  async all<T>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return (await this.client.query(toPg(sql), [...params])).rows as T[];
  }

  async run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return (await this.client.query(toPg(sql), [...params])).rowCount ?? 0;
  }

  async lockKeys(keys: readonly string[]): Promise<void> {
    // Replicas sharing the store serialise on each instance, so each applies its events to the latest row.
    for (const key of keys) await this.client.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key]);
  }
}

/**
 * The shared store: several monitor replicas behind one Dapr consumer group write one projection.
 * Each batch is one transaction; the dedupe is the `(source, id)` unique key, instances are
 * serialised by an advisory lock, rollups are additive upserts, and a transaction PostgreSQL aborts
 * to break a deadlock is retried.
 */
class PostgresStore extends queries.SqlStoreReads implements MonitorStore {
  readonly kind = "postgres";
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    super(new PgSession(pool));
    this.#pool = pool;
  }

  async transaction<T>(body: (session: SqlSession) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      try {
        await client.query("BEGIN");
        const result = await body(new PgSession(client));
        await client.query("COMMIT");
        return result;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        const state = (error as { code?: unknown }).code;
        if (attempt < ATTEMPTS && typeof state === "string" && RETRYABLE_STATES.has(state)) continue;
        throw BridgeError.from(error, "the monitor's PostgreSQL store failed");
      } finally {
        client.release();
      }
    }
  }

  ingest(facts: readonly Fact[]) {
    return this.transaction((session) => runPlan(session, ingestFacts(facts)));
  }

  prune(beforeMs: number) {
    return this.transaction(async (session) => {
      // One pruner at a time over all replicas, so the status counts are decremented once.
      await session.all("SELECT pg_advisory_xact_lock(hashtextextended('dapr-event-bridge-monitor-prune', 0))");
      return queries.prune(session, beforeMs);
    });
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

/** Connects, creates the schema and tables if missing (one replica at a time), and returns the store. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<MonitorStore> {
  const url = new URL(options.url);
  const schema = url.searchParams.get("schema");
  url.searchParams.delete("schema");
  if (schema !== null && !/^[a-z_][a-z0-9_]*$/.test(schema)) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `monitor --db: the schema parameter must be a lower-case SQL identifier, got ${JSON.stringify(schema)}`,
    );
  }
  const pool = new pg.Pool({ connectionString: url.toString(), max: options.poolSize ?? 4, types });
  // Idle clients can fail (server restart); the pool replaces them, the error must not crash the process.
  pool.on("error", () => undefined);
  if (schema !== null) pool.on("connect", (client) => void client.query(`SET search_path TO ${schema}`));
  const store = new PostgresStore(pool);
  try {
    await store.transaction(async (session) => {
      await session.all("SELECT pg_advisory_xact_lock(hashtextextended('dapr-event-bridge-monitor-schema', 0))");
      if (schema !== null) {
        await session.run(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await session.run(`SET LOCAL search_path TO ${schema}`);
      }
      for (const statement of schemaStatements("postgres")) await session.run(statement);
    });
  } catch (error) {
    await pool.end().catch(() => undefined);
    const host = `${url.hostname}:${url.port || "5432"}`;
    throw new BridgeError(
      ErrorCode.Unavailable,
      `the monitor cannot use PostgreSQL at ${host}${url.pathname}: ${error instanceof Error ? error.message : String(error)}; check --db (the URL's password is not shown)`,
      { cause: error },
    );
  }
  return store;
}
