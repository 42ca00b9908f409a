import { randomBytes } from "node:crypto";
import pg from "pg";

/**
 * The PostgreSQL on this machine (127.0.0.1:5432, trust auth, database `test`); MONITOR_TEST_PG
 * overrides it. Each store a test opens gets a schema of its own, dropped by {@link dropSchemas}.
 */
export const POSTGRES_BASE = process.env["MONITOR_TEST_PG"] ?? "postgres://root@127.0.0.1:5432/test";

const RUN = `mon_test_${process.pid}_${randomBytes(3).toString("hex")}`;
const schemas: string[] = [];

/** Undefined when the server answers; else why not. */
export async function postgresMissing(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: POSTGRES_BASE });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${POSTGRES_BASE} does not answer: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A `--db` URL with a new, empty schema of this test run. */
export function freshSchemaUrl(): string {
  const schema = `${RUN}_${schemas.length}`;
  schemas.push(schema);
  return `${POSTGRES_BASE}?schema=${schema}`;
}

/** Drops every schema {@link freshSchemaUrl} gave. */
export async function dropSchemas(): Promise<void> {
  if (schemas.length === 0) return;
  const client = new pg.Client({ connectionString: POSTGRES_BASE });
  await client.connect();
  try {
    for (const schema of schemas.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end();
  }
}
