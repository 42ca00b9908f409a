import { writeFileSync } from "node:fs";
import path from "node:path";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { compareDelivery } from "../src/devtools/delivery-check.js";
import { emit } from "../src/devtools/emitter.js";
import { bridgeType, TypeName } from "../src/proto/protos.js";
import {
  allArrived,
  bridgeArgs,
  countSpoolRows,
  processTestKit,
  recorder,
  scrapeMetric,
  spawnBridge,
} from "./helpers/bridge-process.js";
import { waitUntil } from "./helpers/pipeline.js";

// Process-level fault tests (issue: durability): the bridge runs as a child process, the
// emitter and the dev sidecar run here as real gRPC peers.

const kit = processTestKit();
afterEach(() => kit.close());

const MAIN = { pubsub: "pubsub", topic: "dapr-events" } as const;

describe("the bridge process under sidecar faults", () => {
  it("keeps every event and per-key order across a sidecar outage, with RSS bounded while the backlog builds", async () => {
    const { sidecar, address } = await kit.sidecar();
    const dir = kit.dir();
    const windowBound = 1000;
    const bridge = await spawnBridge(
      bridgeArgs({
        sidecar: address,
        spoolDir: dir,
        extra: ["--max-in-memory-events", String(windowBound), "--metrics-listen", "127.0.0.1:0"],
      }),
      // A small heap: a backlog held in memory instead of on disk would run out of it.
      { env: { NODE_OPTIONS: "--max-old-space-size=64" } },
    );
    await waitUntil(() => bridge.logs.some((line) => line.msg === "bridge running"), 20_000, "the metrics listener");
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, bridge.rssBytes());
    }, 20);
    try {
      const { sent, onSent } = recorder();
      const emitting = emit({ target: bridge.address, count: 20_000, onSent });
      await sidecar.waitFor(500, { timeoutMs: 30_000 });
      sidecar.setFaults({ unavailable: true });
      const result = await emitting;
      expect(result.acknowledged).toBe(true);
      expect(bridge.logs.filter((line) => (line.level ?? 0) >= 50)).toEqual([]);
      // The outage built a backlog far beyond the in-memory window: it waits on disk.
      const backlog = countSpoolRows(dir);
      expect(backlog).toBeGreaterThan(10_000);
      expect(sidecar.stats().failuresInjected).toBeGreaterThan(0);
      expect(await scrapeMetric(bridge, "dapr_event_bridge_backlog_on_disk")).toBe(1);
      expect(await scrapeMetric(bridge, "dapr_event_bridge_window_events")).toBeLessThanOrEqual(windowBound);
      peakRss = Math.max(peakRss, bridge.rssBytes());
      sidecar.setFaults({ unavailable: false });
      await sidecar.waitFor((r) => allArrived(sent, r), { timeoutMs: 60_000 });
      const report = compareDelivery(sent, sidecar.received(MAIN.pubsub, MAIN.topic));
      expect(report.sent).toBe(20_000);
      expect(report.missing).toBe(0);
      expect(report.unexpected).toBe(0);
      expect(report.outOfOrderKeys).toEqual([]);
    } finally {
      clearInterval(sampler);
    }
    expect(peakRss).toBeGreaterThan(0);
    expect(peakRss).toBeLessThan(250 * 1024 * 1024);
  });

  it.each([
    ["30% of calls failing with UNAVAILABLE", { failureRate: 0.3, failureCode: GrpcStatus.UNAVAILABLE }],
    ["20 ms of latency on every call", { latencyMs: 20 }],
  ] as const)("delivers every acknowledged event in per-key order with %s", async (_name, faults) => {
    const { sidecar, address } = await kit.sidecar({ faults, seed: 11 });
    const bridge = await spawnBridge(bridgeArgs({ sidecar: address, spoolDir: kit.dir() }));
    const { sent, onSent } = recorder();
    const result = await emit({ target: bridge.address, streams: 2, count: 1000, onSent });
    expect(result.acknowledged).toBe(true);
    await sidecar.waitFor((r) => allArrived(sent, r), { timeoutMs: 60_000 });
    const report = compareDelivery(sent, sidecar.received(MAIN.pubsub, MAIN.topic));
    expect(report.sent).toBe(2000);
    expect(report.missing).toBe(0);
    expect(report.outOfOrderKeys).toEqual([]);
    if ("failureRate" in faults) expect(sidecar.stats().failuresInjected).toBeGreaterThan(0);
  });

  it.each([
    ["PERMISSION_DENIED (daprd's publishingScopes refusal)", GrpcStatus.PERMISSION_DENIED],
    ["INVALID_ARGUMENT", GrpcStatus.INVALID_ARGUMENT],
  ] as const)(
    "dead-letters every event of a topic the sidecar rejects with %s, after --max-attempts, bytes intact",
    async (_name, code) => {
      const { sidecar, address } = await kit.sidecar({ faults: { rejectTopics: { "actor-events": code } } });
      const dir = kit.dir();
      const configFile = path.join(kit.dir(), "bridge.yaml");
      writeFileSync(
        configFile,
        [
          "routes:",
          "  - name: actors",
          "    filter:",
          '      prefix: { type: "io.dapr.actors." }',
          "    topic: actor-events",
          "",
        ].join("\n"),
      );
      const bridge = await spawnBridge(
        bridgeArgs({ sidecar: address, spoolDir: dir, extra: ["--config", configFile, "--max-attempts", "3"] }),
      );
      const { sent, onSent } = recorder();
      const result = await emit({ target: bridge.address, count: 400, onSent });
      expect(result.acknowledged).toBe(true);
      const actors = sent.filter((f) => f.family === "actor");
      const workflows = sent.filter((f) => f.family === "workflow");
      expect(actors.length).toBeGreaterThan(20);
      expect(workflows.length).toBeGreaterThan(20);
      await sidecar.waitFor(
        () =>
          allArrived(actors, sidecar.received("pubsub", "dapr-events-deadletter")) &&
          allArrived(workflows, sidecar.received(MAIN.pubsub, MAIN.topic)),
        { timeoutMs: 60_000 },
      );
      const main = compareDelivery(workflows, sidecar.received(MAIN.pubsub, MAIN.topic));
      expect(main.missing).toBe(0);
      expect(main.unexpected).toBe(0);
      expect(main.outOfOrderKeys).toEqual([]);
      const deadLetters = sidecar.received("pubsub", "dapr-events-deadletter");
      const dead = compareDelivery(actors, deadLetters);
      expect(dead.missing).toBe(0);
      expect(dead.unexpected).toBe(0);
      expect(dead.outOfOrderKeys).toEqual([]);
      const ids = dead.idsBySent as string[];
      expect(new Set(ids).size).toBe(actors.length);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      for (const publish of deadLetters) {
        const ce = decodeCe(publish.data);
        expect(ce.type.startsWith("io.dapr.actors.")).toBe(true);
        expect(attr(ce, "deadletterreason")).toBe("max_attempts");
        expect(attr(ce, "deadletterattempts")).toBe("3");
        expect(attr(ce, "deadlettererror")).toMatch(/actor-events/);
      }
      expect(sidecar.received("pubsub", "actor-events")).toEqual([]);
    },
  );

  it("retries a broker outage (daprd's INTERNAL) without end, never dead-letters it, and counts it as broker_unavailable", async () => {
    const { sidecar, address } = await kit.sidecar({ faults: { brokerDown: true } });
    const bridge = await spawnBridge(
      bridgeArgs({
        sidecar: address,
        spoolDir: kit.dir(),
        extra: ["--max-attempts", "1", "--metrics-listen", "127.0.0.1:0"],
      }),
    );
    await waitUntil(() => bridge.logs.some((line) => line.msg === "bridge running"), 20_000, "the metrics listener");
    const { sent, onSent } = recorder();
    const result = await emit({ target: bridge.address, count: 200, onSent });
    expect(result.acknowledged).toBe(true);
    // Far more refused calls than --max-attempts 1 allows for a non-retryable error.
    await waitUntil(() => sidecar.stats().failuresInjected >= 50, 30_000, "publishes refused by the down broker");
    const brokerFailures = await scrapeMetric(
      bridge,
      'dapr_event_bridge_publish_failures_total{code="broker_unavailable"}',
    );
    sidecar.setFaults({ brokerDown: false });
    await sidecar.waitFor((r) => allArrived(sent, r), { timeoutMs: 60_000 });
    expect(brokerFailures).toBeGreaterThan(0);
    const report = compareDelivery(sent, sidecar.received(MAIN.pubsub, MAIN.topic));
    expect(report.missing).toBe(0);
    expect(report.outOfOrderKeys).toEqual([]);
    expect(sidecar.received("pubsub", "dapr-events-deadletter")).toEqual([]);
  });
});

const cloudEventType = bridgeType(TypeName.CloudEvent);

interface DecodedCe {
  readonly id: string;
  readonly type: string;
  readonly attributes: Record<string, { ce_string?: string; ce_integer?: number; ce_boolean?: boolean }>;
}

/** Decodes with protobufjs reflection over the .proto files: independent of the bridge's encoder. */
function decodeCe(data: Uint8Array): DecodedCe {
  return cloudEventType.toObject(cloudEventType.decode(data), { longs: Number, defaults: false }) as DecodedCe;
}

/** An attribute's value as text, whatever member of the oneof carries it. */
function attr(ce: DecodedCe, name: string): string | undefined {
  const value = ce.attributes[name];
  if (value === undefined) return undefined;
  const member = value.ce_string ?? value.ce_integer ?? value.ce_boolean;
  return member === undefined ? undefined : String(member);
}
