import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../src/monitor/postgres-store.js";
import type { MonitorStore } from "../../src/monitor/store.js";
import { fact, shuffled, storeContract } from "./store-contract.js";
import { wf, type TestEvent } from "./events.js";
import { dropSchemas, freshSchemaUrl, postgresMissing } from "./postgres.js";

const missing = await postgresMissing();

afterAll(dropSchemas);

// Skipped without a server, except under CI=true, where it must run.
const suite = missing === undefined || process.env["CI"] === "true" ? describe : describe.skip;

suite("the monitor's PostgreSQL store", () => {
  it("has a server to test against", () => {
    expect(missing).toBeUndefined();
  });

  storeContract(() => openPostgresStore({ url: freshSchemaUrl() }));

  it("lets two replicas share one store: concurrent, interleaved and duplicated deliveries apply once", async () => {
    const url = freshSchemaUrl();
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
