import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../src/monitor/postgres-store.js";
import type { MonitorStore } from "../../src/monitor/store.js";
import { fact, shuffled, storeContract } from "./store-contract.js";
import { wf, type TestEvent } from "./events.js";

/**
 * The PostgreSQL on this machine (127.0.0.1:5432, trust auth, database `test`); MONITOR_TEST_PG
 * overrides it. Each store gets a schema of its own, dropped after the run.
 */
const BASE = process.env["MONITOR_TEST_PG"] ?? "postgres://root@127.0.0.1:5432/test";
const RUN = `mon_test_${process.pid}_${randomBytes(3).toString("hex")}`;
const schemas: string[] = [];

async function available(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: BASE });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const missing = await available();

function schemaUrl(): string {
  const schema = `${RUN}_${schemas.length}`;
  schemas.push(schema);
  return `${BASE}?schema=${schema}`;
}

afterAll(async () => {
  if (missing !== undefined) return;
  const client = new pg.Client({ connectionString: BASE });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
});

// Skipped without a server, except under CI=true, where it must run.
const suite = missing === undefined || process.env["CI"] === "true" ? describe : describe.skip;

suite("the monitor's PostgreSQL store", () => {
  it("has a server to test against", () => {
    expect(missing).toBeUndefined();
  });

  storeContract(() => openPostgresStore({ url: schemaUrl() }));

  it("lets two replicas share one store: concurrent, interleaved and duplicated deliveries apply once", async () => {
    const url = schemaUrl();
    const [a, b] = await Promise.all([openPostgresStore({ url }), openPostgresStore({ url })]);
    const replicas: MonitorStore[] = [a, b];
    try {
      const events: TestEvent[] = [];
      for (let n = 0; n < 40; n++) {
        const id = `r-${n}`;
        events.push(wf.started(`${id}-1`, id, 1_000_000 + n), wf.activityScheduled(`${id}-2`, id, 1_000_100 + n));
        events.push(n % 4 === 0 ? wf.failed(`${id}-3`, id, 1_000_200 + n) : wf.completed(`${id}-3`, id, 1_000_200 + n));
      }
      // A consumer group splits the messages; a redelivery can reach the other replica.
      const all = shuffled([...events, ...events.slice(0, 30)], 11).map((event) => fact(event));
      const batches: Array<Promise<unknown>> = [];
      for (let i = 0; i < all.length; i += 5) {
        batches.push((replicas[(i / 5) % 2] as MonitorStore).ingest(all.slice(i, i + 5)));
      }
      const results = (await Promise.all(batches)) as Array<{ ingested: number; duplicates: number }>;
      expect(results.reduce((sum, r) => sum + r.ingested, 0)).toBe(events.length);
      expect(results.reduce((sum, r) => sum + r.duplicates, 0)).toBe(30);
      expect(await b.statusCounts()).toEqual([
        { app: "orders", name: "PaymentWorkflow", status: "COMPLETED", count: 30 },
        { app: "orders", name: "PaymentWorkflow", status: "FAILED", count: 10 },
      ]);
      const page = await a.listInstances({ status: "FAILED", limit: 100 });
      expect(page.total).toBe(10);
      expect((await a.getInstance("orders", "r-4"))?.eventCount).toBe(3);
      expect((await a.aggregates(undefined, 2_000_000)).workflows[0]).toMatchObject({
        started: 40,
        completed: 30,
        failed: 10,
      });
    } finally {
      await a.close();
      await b.close();
    }
  });
});
