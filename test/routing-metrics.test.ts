import { readFileSync } from "node:fs";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { Bridge } from "../src/bridge.js";
import type { BridgeConfig } from "../src/config/bridge-config.js";
import { compareDelivery, type SentFrame } from "../src/devtools/delivery-check.js";
import { DevSidecar, type DevSidecarOptions } from "../src/devtools/dev-sidecar.js";
import { emit } from "../src/devtools/emitter.js";
import { makeEvent, type GeneratedEvent } from "../src/devtools/sequences.js";
import { startObservability, type ObservabilityServer } from "../src/observability/http-server.js";
import { silentLogger } from "../src/observability/logger.js";
import { BridgeMetrics, METRIC_PREFIX } from "../src/observability/metrics.js";
import { parsePrometheusText } from "../src/observability/prometheus-text.js";
import { bridgeType, TypeName } from "../src/proto/protos.js";
import { tempDir, testConfig } from "./helpers/config.js";
import { waitUntil } from "./helpers/pipeline.js";

/** A bridge wired to metrics and the HTTP listener the way `run` wires them, with a dev sidecar. */
interface ObservedPipeline {
  readonly sidecar: DevSidecar;
  readonly bridge: Bridge;
  readonly target: string;
  /** Scrapes `/metrics` over HTTP and parses it. */
  scrape(): Promise<Map<string, number>>;
  close(): Promise<void>;
}

const open: ObservedPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function observedPipeline(overrides: Partial<BridgeConfig>, sidecarOptions: DevSidecarOptions = {}): Promise<ObservedPipeline> {
  const sidecar = new DevSidecar({ listen: "127.0.0.1:0", ...sidecarOptions });
  const { address } = await sidecar.start();
  const spool = tempDir("bridge-metrics-");
  const logger = silentLogger();
  const metrics = new BridgeMetrics({ logger });
  const bridge = new Bridge(testConfig({ daprGrpcEndpoint: address, spoolDir: spool.dir, ...overrides }), {
    logger,
    deliveryObserver: metrics,
    sinkObserver: metrics,
  });
  metrics.bindStatus(() => bridge.status());
  let http: ObservabilityServer | undefined;
  const close = async (): Promise<void> => {
    await http?.close();
    await bridge.close();
    await sidecar.close();
    spool.remove();
  };
  try {
    const target = await bridge.start();
    http = await startObservability(bridge, {
      listen: "127.0.0.1:0",
      metrics,
      checkSidecar: (signal) => bridge.checkSidecar(signal),
    });
    if (http === undefined) throw new Error("the observability listener did not start");
    const url = `http://${http.address}/metrics`;
    const pipeline: ObservedPipeline = {
      sidecar,
      bridge,
      target,
      scrape: async () => {
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
        return parsePrometheusText(await response.text());
      },
      close,
    };
    open.push(pipeline);
    return pipeline;
  } catch (error) {
    await close();
    throw error;
  }
}

/** Scrapes until `ok` holds of the samples; rejects after `timeoutMs`. */
async function scrapeUntil(
  p: ObservedPipeline,
  ok: (samples: Map<string, number>) => boolean,
  what: string,
  timeoutMs = 20_000,
): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await p.scrape();
    if (ok(samples)) return samples;
    if (Date.now() > deadline) {
      const ours = [...samples].filter(([k]) => k.startsWith(METRIC_PREFIX) && !k.includes("_bucket"));
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last scrape: ${JSON.stringify(ours)}`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 10));
  }
}

/** The samples of one bridge series (name without the prefix), with their labels. */
function series(samples: Map<string, number>, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const full = METRIC_PREFIX + name;
  const found: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const [key, value] of samples) {
    if (key !== full && !key.startsWith(`${full}{`)) continue;
    const labels: Record<string, string> = {};
    for (const match of key.slice(full.length).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[match[1] as string] = (match[2] as string).replace(/\\(.)/g, (_m, c: string) => (c === "n" ? "\n" : c));
    }
    found.push({ labels, value });
  }
  return found;
}

/** The value of one series, 0 when absent; `labels` must match exactly the ones given. */
function value(samples: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  const wanted = Object.entries(labels);
  return series(samples, name)
    .filter((s) => wanted.every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

const cloudEventType = bridgeType(TypeName.CloudEvent);
function cloudEventTypeOf(data: Uint8Array): string {
  return (cloudEventType.decode(data) as unknown as { type: string }).type;
}

const ACTIVITY_KINDS: ReadonlySet<string> = new Set(["task_scheduled", "task_completed", "task_failed"]);
const DEAD_LETTER_TOPIC = "dapr-events-deadletter";

describe("routes and their metrics, scraped over HTTP", () => {
  it("sends three routes to their topics, drops one, and the counters match what the sidecar got", async () => {
    const p = await observedPipeline({
      routes: [
        { name: "failed-workflows", filter: { exact: { type: "io.dapr.workflows.failed" } }, topic: "workflow-alerts" },
        { name: "actors", filter: { prefix: { type: "io.dapr.actors." } }, topic: "actor-events" },
        { name: "no-activities", filter: { prefix: { type: "io.dapr.workflows.activity." } }, drop: true },
      ],
    });
    const sent: GeneratedEvent[] = [];
    const result = await emit({
      target: p.target,
      streams: 2,
      count: 2000,
      seed: 42,
      onSent: (frame) => {
        if (frame.event !== undefined) sent.push(frame.event);
      },
    });
    expect(result.acknowledged).toBe(true);
    expect(sent).toHaveLength(4000);

    const activities = sent.filter((e) => ACTIVITY_KINDS.has(e.kind)).length;
    const actors = sent.filter((e) => e.family === "actor").length;
    const failed = sent.filter(
      (e) => e.kind === "execution_failed" || (e.kind === "execution_completed" && e.facts.runtimeStatus === "failed"),
    ).length;
    // The seeded stream holds every kind of event this test is about.
    expect(activities).toBeGreaterThan(100);
    expect(actors).toBeGreaterThan(100);
    expect(failed).toBeGreaterThan(0);

    const publishedTotal = sent.length - activities;
    await p.sidecar.waitFor(publishedTotal, { timeoutMs: 30_000 });
    const samples = await scrapeUntil(p, (s) => value(s, "events_published_total") >= publishedTotal, "every publish to be counted");

    // What the sidecar got, per topic, decoded independently of the bridge's metrics.
    const byTopic = new Map<string, string[]>();
    for (const received of p.sidecar.received()) {
      expect(received.pubsub).toBe("pubsub");
      byTopic.set(received.topic, [...(byTopic.get(received.topic) ?? []), cloudEventTypeOf(received.data)]);
    }
    expect([...byTopic.keys()].sort()).toEqual(["actor-events", "dapr-events", "workflow-alerts"]);
    const alerts = byTopic.get("workflow-alerts") ?? [];
    const actorEvents = byTopic.get("actor-events") ?? [];
    const rest = byTopic.get("dapr-events") ?? [];
    expect(alerts).toHaveLength(failed);
    expect(alerts.every((t) => t === "io.dapr.workflows.failed")).toBe(true);
    expect(actorEvents).toHaveLength(actors);
    expect(actorEvents.every((t) => t.startsWith("io.dapr.actors."))).toBe(true);
    expect(rest).toHaveLength(sent.length - activities - actors - failed);
    expect(rest.some((t) => t === "io.dapr.workflows.failed" || t.startsWith("io.dapr.actors."))).toBe(false);
    // The drop route kept every activity event away from the sidecar.
    expect([...alerts, ...actorEvents, ...rest].some((t) => t.startsWith("io.dapr.workflows.activity."))).toBe(false);

    // The scraped counters say the same.
    for (const [topic, types] of byTopic) {
      expect(value(samples, "events_published_total", { pubsub: "pubsub", topic }), `published to ${topic}`).toBe(types.length);
    }
    expect(series(samples, "events_published_total")).toHaveLength(3);
    expect(value(samples, "events_dropped_total", { route: "no-activities" })).toBe(activities);
    expect(series(samples, "events_dropped_total")).toHaveLength(1);
    expect(value(samples, "events_received_total")).toBe(sent.length);
    expect(value(samples, "events_accepted_total")).toBe(sent.length - activities);
    expect(value(samples, "events_received_total", { type: "io.dapr.workflows.failed" })).toBe(failed);
    const activityReceived = series(samples, "events_received_total")
      .filter((s) => (s.labels["type"] ?? "").startsWith("io.dapr.workflows.activity."))
      .reduce((sum, s) => sum + s.value, 0);
    expect(activityReceived).toBe(activities);
    expect(value(samples, "end_to_end_latency_seconds_count")).toBe(publishedTotal);
  }, 90_000);
});

/** The series names listed in the tables of docs/metrics.md. */
function documentedSeries(): Array<{ name: string; type: string }> {
  const text = readFileSync(new URL("../docs/metrics.md", import.meta.url), "utf8");
  return [...text.matchAll(/^\| `([a-z_]+)` \| (counter|gauge|histogram) \|/gm)].map((m) => ({ name: m[1] as string, type: m[2] as string }));
}

describe("every documented series is served and moves as events flow", () => {
  it("moves on outages, backpressure, rejections, dead letters, garbage, drops and aborted streams", async () => {
    const bound = 100;
    const maxAttempts = 2;
    const p = await observedPipeline(
      {
        durability: "disk",
        spoolMaxEvents: bound,
        publishTimeoutMs: 1000,
        retry: { initialBackoffMs: 5, multiplier: 2, maxBackoffMs: 50, maxAttempts },
        routes: [{ name: "no-activities", filter: { prefix: { type: "io.dapr.workflows.activity." } }, drop: true }],
      },
      { faults: { unavailable: true } },
    );
    const before = await p.scrape();
    const documented = documentedSeries();
    expect(documented.length).toBeGreaterThanOrEqual(20);

    // 1. The sidecar is down: the spool fills to its bound, the sink holds the stream back.
    const sent: SentFrame[] = [];
    let blocked = false;
    const emitting = emit({
      target: p.target,
      count: 1000,
      seed: 5,
      onSent: (frame) => {
        if (frame.event !== undefined && !ACTIVITY_KINDS.has(frame.event.kind)) sent.push({ bytes: frame.bytes, key: frame.event.key });
      },
      onBackpressure: () => {
        blocked = true;
      },
    });
    await waitUntil(() => blocked, 20_000, "the emitter to feel backpressure");
    const down = await scrapeUntil(
      p,
      (s) => value(s, "active_streams") === 1 && value(s, "spool_pending_events") >= bound && value(s, "publish_failures_total", { code: "unavailable" }) > 0,
      "a full spool and failing publishes while the sidecar is down",
    );
    // The frame read before the room check may land one past the bound (as in pipeline.test.ts).
    expect(value(down, "spool_pending_events")).toBeLessThanOrEqual(bound + 1);
    expect(value(down, "spool_bytes")).toBeGreaterThan(0);
    expect(value(down, "retries_total")).toBeGreaterThan(value(before, "retries_total"));
    expect(value(down, "sidecar_reachable")).toBe(1); // it answers GetMetadata; only publishing is down

    // 2. The sidecar hangs: publish calls stay in flight until their deadline.
    p.sidecar.setFaults({ unavailable: false, latencyMs: 60_000 });
    const hanging = await scrapeUntil(p, (s) => value(s, "in_flight_calls") > 0, "publish calls in flight");
    expect(value(hanging, "in_flight_calls")).toBeLessThanOrEqual(8);
    expect(value(hanging, "in_flight_events")).toBeGreaterThanOrEqual(value(hanging, "in_flight_calls"));
    // A call seen in flight may be one that started before the latency was set: wait for a
    // hanging one to pass its deadline before healing.
    await scrapeUntil(p, (s) => value(s, "publish_failures_total", { code: "deadline_exceeded" }) > 0, "a publish call to pass its deadline");

    // 3. The sidecar heals: everything is published, the gauges fall back to 0.
    p.sidecar.setFaults({ latencyMs: 0 });
    const result = await emitting;
    expect(result.acknowledged).toBe(true);
    await p.sidecar.waitFor((r) => compareDelivery(sent, r).missing === 0, { timeoutMs: 30_000 });
    const healed = await scrapeUntil(
      p,
      (s) => value(s, "spool_pending_events") === 0 && value(s, "in_flight_calls") === 0 && value(s, "in_flight_events") === 0 && value(s, "active_streams") === 0,
      "the backlog to drain",
    );
    const mainTopic = p.sidecar.received("pubsub", "dapr-events").length;
    expect(value(healed, "events_published_total", { pubsub: "pubsub", topic: "dapr-events" })).toBe(mainTopic);
    expect(value(healed, "backpressure_seconds_total")).toBeGreaterThan(value(before, "backpressure_seconds_total"));
    expect(value(healed, "publish_failures_total", { code: "deadline_exceeded" })).toBeGreaterThan(0);
    expect(value(healed, "end_to_end_latency_seconds_count")).toBe(mainTopic);
    expect(value(healed, "end_to_end_latency_seconds_sum")).toBeGreaterThan(0);
    expect(value(healed, "events_dropped_total", { route: "no-activities" })).toBe(1000 - sent.length);
    expect(value(healed, "spool_bytes")).toBeLessThan(value(down, "spool_bytes"));

    // 4. The topic rejects publishes (non-retryable): events are dead-lettered after maxAttempts;
    //    a garbage frame is kept as undecodable and dead-lettered; an activity event is dropped.
    p.sidecar.setFaults({ rejectTopics: { "dapr-events": GrpcStatus.INVALID_ARGUMENT } });
    const garbage = Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
    const rejectedFrames = [makeEvent("invoked", { actorId: "dl-1" }).bytes, makeEvent("execution_started", { instanceId: "dl-wf" }).bytes];
    const second = await emit({ target: p.target, frames: [...rejectedFrames, garbage, makeEvent("task_scheduled", { instanceId: "dl-wf" }).bytes] });
    expect(second.acknowledged).toBe(true);
    await p.sidecar.waitFor((r) => r.filter((e) => e.topic === DEAD_LETTER_TOPIC).length === 3, { timeoutMs: 20_000 });
    const dead = await scrapeUntil(
      p,
      (s) => value(s, "events_published_total", { topic: DEAD_LETTER_TOPIC }) === 3,
      "the dead letters to be counted",
    );
    expect(value(dead, "dead_lettered_total", { reason: "max_attempts" })).toBe(2);
    expect(value(dead, "publish_failures_total", { code: "rejected" })).toBe(2 * maxAttempts);
    expect(value(dead, "undecodable_total")).toBe(1);
    expect(value(dead, "events_received_total", { type: "io.dapr.bridge.undecodable" })).toBe(1);
    expect(value(dead, "events_dropped_total", { route: "no-activities" })).toBe(value(healed, "events_dropped_total", { route: "no-activities" }) + 1);
    expect(value(dead, "events_accepted_total")).toBe(value(dead, "events_received_total") - value(dead, "events_dropped_total"));

    // 5. A client that cancels its stream: counted as a stream error; the stream is gone.
    p.sidecar.setFaults({ rejectTopics: {} });
    const abort = new AbortController();
    const endless = emit({ target: p.target, count: Number.POSITIVE_INFINITY, ratePerSec: 500, seed: 9, signal: abort.signal });
    const receivedSoFar = value(dead, "events_received_total");
    await scrapeUntil(
      p,
      (s) => value(s, "active_streams") === 1 && value(s, "events_received_total") > receivedSoFar + 10,
      "the endless stream to be read",
    );
    abort.abort();
    const aborted = await endless;
    expect(aborted.acknowledged).toBe(false);
    const after = await scrapeUntil(
      p,
      (s) => value(s, "stream_errors_total") > 0 && value(s, "active_streams") === 0 && value(s, "spool_pending_events") === 0,
      "the aborted stream to be counted",
    );

    // Every documented series is served, with its documented type's samples.
    for (const { name, type } of documented) {
      const names = type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) expect(series(after, n).length, `series ${METRIC_PREFIX}${n}`).toBeGreaterThan(0);
    }
    // The counters of the list all moved (the gauges were seen above 0 and back).
    const moved = [
      "events_received_total",
      "events_accepted_total",
      "events_published_total",
      "publish_failures_total",
      "retries_total",
      "dead_lettered_total",
      "events_dropped_total",
      "undecodable_total",
      "backpressure_seconds_total",
      "end_to_end_latency_seconds_count",
      "received_bytes_total",
      "stream_errors_total",
    ];
    for (const name of moved) expect(value(after, name), name).toBeGreaterThan(value(before, name));
  }, 90_000);
});
