import { afterAll, expect, it } from "vitest";
import { runDemo } from "../../src/devtools/demo.js";
import { stopAllProcesses } from "../../src/devtools/local-processes.js";
import { describeRealDapr } from "../helpers/daprd.js";
import { feedMonitor } from "../monitor/feed.js";
import { dropSchemas, freshSchemaUrl, postgresMissing } from "../monitor/postgres.js";

// The monitor as a real Dapr subscriber app: bridge → daprd → Redis → daprd → monitor, in both
// formats; and the same events through the dev sidecar must give the same projection.

afterAll(stopAllProcesses);
afterAll(dropSchemas);

const START = Date.parse("2026-11-30T06:00:00Z");

describeRealDapr("the monitor behind real daprd", () => {
  it.each(["protobuf", "json"] as const)(
    "applies every event of the %s format once, and matches the monitor fed by the dev sidecar",
    async (format) => {
      const real = await feedMonitor({ kind: "real-daprd", format, perStream: 200, startTimeMs: START });
      expect(real.sent).toBe(400);
      expect(real.stats).toEqual({ ingested: 400, duplicates: 0, dropped: 0 });
      const dev = await feedMonitor({ kind: "dev-sidecar", format, perStream: 200, startTimeMs: START });
      expect(real.snapshot).toEqual(dev.snapshot);
      expect(real.snapshot.instances.length).toBeGreaterThan(10);
    },
    180_000,
  );
});

describeRealDapr("the monitor behind real daprd with bulk subscribe", () => {
  it.each(["protobuf", "json"] as const)(
    "takes daprd's bulk deliveries of the %s format and holds the same projection",
    async (format) => {
      const bulk = await feedMonitor({ kind: "real-daprd", format, perStream: 200, startTimeMs: START, bulk: true });
      expect(bulk.stats).toEqual({ ingested: 400, duplicates: 0, dropped: 0 });
      expect(bulk.deliveries.single).toBe(0);
      expect(bulk.deliveries.bulk).toBeGreaterThan(0);
      expect(bulk.deliveries.bulk).toBeLessThan(400);
      const dev = await feedMonitor({ kind: "dev-sidecar", format, perStream: 200, startTimeMs: START });
      expect(bulk.snapshot).toEqual(dev.snapshot);
    },
    180_000,
  );
});

describeRealDapr("demo --real with the monitor", () => {
  it("feeds the monitor through its own daprd and prints its URL", async () => {
    const lines: string[] = [];
    const result = await runDemo({ real: true, count: 400, streams: 2, out: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    expect(result.monitor).toMatchObject({ ingested: 400 });
    expect(lines.at(-2)).toMatch(/^monitor on http:\/\/127\.0\.0\.1:\d+: applied 400 of 400 events/);
    expect(lines.at(-1)).toBe(`sent 400, published 400, missing 0, duplicates ${result.report.duplicates}`);
  }, 120_000);
});

describeRealDapr("monitor replicas sharing PostgreSQL behind one consumer group", () => {
  it("split the events between them and hold one projection, the one the dev sidecar's monitor holds", async () => {
    expect(await postgresMissing()).toBeUndefined();
    const shared = await feedMonitor({
      kind: "real-daprd",
      format: "protobuf",
      perStream: 200,
      startTimeMs: START,
      replicas: 2,
      db: freshSchemaUrl(),
    });
    expect(shared.stats).toEqual({ ingested: 400, duplicates: 0, dropped: 0 });
    // Both replicas took part: daprd's consumer group spread the messages.
    expect(shared.perReplica.every((n) => n > 0)).toBe(true);
    const dev = await feedMonitor({ kind: "dev-sidecar", format: "protobuf", perStream: 200, startTimeMs: START });
    expect(shared.snapshot).toEqual(dev.snapshot);
  }, 180_000);
});
