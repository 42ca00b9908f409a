import { expect, it } from "vitest";
import { decodeBody } from "../../src/monitor/decode-body.js";
import { factOf, type Fact } from "../../src/monitor/facts.js";
import type { MonitorStore } from "../../src/monitor/store.js";
import { daprBody, wf, type TestEvent } from "./events.js";

const T0 = Date.parse("2026-11-30T08:00:00Z");

/** The fact the monitor takes from what daprd would post for `event`. */
export function fact(event: TestEvent, format: "protobuf" | "json" = "protobuf"): Fact {
  const result = factOf(decodeBody(Buffer.from(daprBody(event, format))), Date.now());
  if (result === undefined) throw new Error("not a workflow or actor event");
  return result;
}

/** A deterministic shuffle (a small LCG), so a failure reproduces. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** The life of instance `n`: started, an activity, then completed or (every third) failed. */
function life(n: number): TestEvent[] {
  const id = `wf-${n}`;
  const t = T0 + n * 10;
  return [
    wf.started(`${id}-a`, id, t),
    wf.activityScheduled(`${id}-b`, id, t + 1000),
    n % 3 === 0 ? wf.failed(`${id}-c`, id, t + 2000) : wf.completed(`${id}-c`, id, t + 2000),
  ];
}

async function statusOf(store: MonitorStore, instanceId: string): Promise<string | undefined> {
  return (await store.getInstance("orders", instanceId))?.status;
}

/** What every store must do; `open` gives a fresh, empty store. */
export function storeContract(open: () => Promise<MonitorStore>): void {
  const withStore = async (body: (store: MonitorStore) => Promise<void>): Promise<void> => {
    const store = await open();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  it("applies an event once, however often it is delivered", () =>
    withStore(async (store) => {
      const started = fact(wf.started("e1", "dup", T0));
      expect(await store.ingest([started, started])).toMatchObject({ ingested: 1, duplicates: 1 });
      expect(await store.ingest([fact(wf.started("e1", "dup", T0), "json")])).toMatchObject({
        ingested: 0,
        duplicates: 1,
      });
      expect((await store.getInstance("orders", "dup"))?.eventCount).toBe(1);
      expect((await store.history("orders", "dup"))?.length).toBe(1);
    }));

  it("settles every instance right when instances interleave, even fully out of order", () =>
    withStore(async (store) => {
      const events = Array.from({ length: 30 }, (_, n) => life(n)).flat();
      // Each batch in a different order; every event delivered twice.
      const facts = shuffled([...events, ...events], 7).map((event) => fact(event));
      for (let i = 0; i < facts.length; i += 13) await store.ingest(facts.slice(i, i + 13));
      for (let n = 0; n < 30; n++) {
        const instance = await store.getInstance("orders", `wf-${n}`);
        expect(instance?.status).toBe(n % 3 === 0 ? "FAILED" : "COMPLETED");
        expect(instance?.eventCount).toBe(3);
        expect(instance?.createdAt).toBe(new Date(T0 + n * 10).toISOString());
        const history = await store.history("orders", `wf-${n}`);
        expect(history?.map((e) => e.type)).toEqual([
          "io.dapr.workflows.started",
          "io.dapr.workflows.activity.scheduled",
          n % 3 === 0 ? "io.dapr.workflows.failed" : "io.dapr.workflows.completed",
        ]);
      }
      const counts = await store.statusCounts();
      expect(counts).toEqual([
        { app: "orders", name: "PaymentWorkflow", status: "COMPLETED", count: 20 },
        { app: "orders", name: "PaymentWorkflow", status: "FAILED", count: 10 },
      ]);
      const aggregates = await store.aggregates(undefined, T0 + 60_000);
      expect(aggregates.workflows[0]).toMatchObject({ started: 30, completed: 20, failed: 10 });
    }));

  it("never regresses a terminal status: late and redelivered events leave it", () =>
    withStore(async (store) => {
      await store.ingest([fact(wf.started("r1", "term", T0)), fact(wf.completed("r2", "term", T0 + 5000))]);
      // A redelivery of the start, an event sent before completion that arrives after it, and a
      // contradicting end: all kept in the history, none changes the status.
      await store.ingest([fact(wf.started("r1", "term", T0)), fact(wf.activityScheduled("r3", "term", T0 + 1000))]);
      await store.ingest([fact(wf.failed("r4", "term", T0 + 6000))]);
      const instance = await store.getInstance("orders", "term");
      expect(instance).toMatchObject({ status: "COMPLETED", failure: null, eventCount: 4 });
      expect(instance?.completedAt).toBe(new Date(T0 + 5000).toISOString());
      expect(await store.statusCounts()).toEqual([
        { app: "orders", name: "PaymentWorkflow", status: "COMPLETED", count: 1 },
      ]);
    }));

  it("follows event time for other statuses: a late start does not undo a suspension", () =>
    withStore(async (store) => {
      await store.ingest([fact(wf.suspended("s2", "sus", T0 + 2000))]);
      await store.ingest([fact(wf.started("s1", "sus", T0))]);
      expect(await statusOf(store, "sus")).toBe("SUSPENDED");
      expect((await store.getInstance("orders", "sus"))?.createdAt).toBe(new Date(T0).toISOString());
    }));

  it("keeps failure details, and counts activity failures without failing the instance", () =>
    withStore(async (store) => {
      await store.ingest([fact(wf.started("f1", "fail", T0)), fact(wf.activityFailed("f2", "fail", T0 + 10))]);
      expect(await statusOf(store, "fail")).toBe("RUNNING");
      await store.ingest([fact(wf.failed("f3", "fail", T0 + 20))]);
      expect((await store.getInstance("orders", "fail"))?.failure).toEqual({
        errorType: "CardDeclined",
        errorMessage: "card declined",
        stackTrace: "at Pay()\nat Run()",
      });
      const page = await store.listInstances({ status: "FAILED", limit: 10 });
      expect(page.instances.map((i) => i.instanceId)).toEqual(["fail"]);
      expect((await store.aggregates(undefined, T0 + 60_000)).workflows[0]).toMatchObject({
        failed: 1,
        activityFailures: 1,
      });
    }));

  it("links parents and children, whichever arrives first", () =>
    withStore(async (store) => {
      const childStart = wf.started("c2", "child-1", T0 + 100, {
        name: "RefundWorkflow",
        metadata: { parentInstanceId: "parent-1", parentAppId: { value: "orders" } },
      });
      await store.ingest([fact(childStart)]);
      await store.ingest([
        fact(wf.started("c0", "parent-1", T0)),
        fact(wf.childCreated("c1", "parent-1", "child-1", T0 + 50)),
        fact(wf.childCreated("c3", "parent-1", "child-2", T0 + 60)),
      ]);
      const parent = await store.getInstance("orders", "parent-1");
      expect(parent?.children).toEqual([
        { app: "orders", instanceId: "child-1", name: "RefundWorkflow", status: "RUNNING" },
        { app: "orders", instanceId: "child-2", name: "RefundWorkflow", status: "PENDING" },
      ]);
      const child = await store.getInstance("orders", "child-1");
      expect(child).toMatchObject({ parentInstanceId: "parent-1", parent: { app: "orders", instanceId: "parent-1" } });
    }));

  it("prunes terminal instances past retention with their history, and keeps the rest", () =>
    withStore(async (store) => {
      await store.ingest([
        fact(wf.started("p1", "old-done", T0)),
        fact(wf.completed("p2", "old-done", T0 + 1000)),
        fact(wf.started("p3", "old-running", T0)),
        fact(wf.started("p4", "new-done", T0 + 100_000)),
        fact(wf.completed("p5", "new-done", T0 + 200_000)),
      ]);
      expect(await store.prune(T0 + 150_000)).toEqual({ instances: 1 });
      expect(await store.getInstance("orders", "old-done")).toBeUndefined();
      expect(await store.history("orders", "old-done")).toBeUndefined();
      expect(await statusOf(store, "old-running")).toBe("RUNNING");
      expect(await statusOf(store, "new-done")).toBe("COMPLETED");
      expect(await store.statusCounts()).toEqual([
        { app: "orders", name: "PaymentWorkflow", status: "COMPLETED", count: 1 },
        { app: "orders", name: "PaymentWorkflow", status: "RUNNING", count: 1 },
      ]);
      expect((await store.stuckCounts(T0 + 50_000)).map((row) => row.count)).toEqual([1]);
    }));
}
