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

/** A bridge wired to metrics and the HTTP listener the way `run` wires them, with a dev sidecar. */
interface ObservedPipeline {
  readonly sidecar: DevSidecar;
  readonly bridge: Bridge;
  readonly target: string;
  /** Scrapes `/metrics` over HTTP and parses it; rejects on a status other than 200. */
  scrape(): Promise<Map<string, number>>;
  /** The `/metrics` URL. */
  readonly metricsUrl: string;
  close(): Promise<void>;
}

const open: ObservedPipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function observedPipeline(
  overrides: Partial<BridgeConfig>,
  sidecarOptions: DevSidecarOptions = {},
): Promise<ObservedPipeline> {
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
      // Generous: a probe must not time out (and report the sidecar unreachable) because the
      // test process is busy; tests that read `sidecar_reachable` wait for the probe's result.
      sidecarProbeTimeoutMs: 30_000,
    });
    if (http === undefined) throw new Error("the observability listener did not start");
    const url = `http://${http.address}/metrics`;
    const pipeline: ObservedPipeline = {
      sidecar,
      bridge,
      target,
      metricsUrl: url,
      scrape: async () => {
        const response = await fetch(url);
        const text = await response.text();
        if (response.status !== 200) throw new Error(`GET ${url} answered ${response.status}: ${text}`);
        return parsePrometheusText(text);
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
  timeoutMs = 30_000,
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
    const samples = await scrapeUntil(
      p,
      (s) => value(s, "events_published_total") >= publishedTotal,
      "every publish to be counted",
    );

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
      expect(value(samples, "events_published_total", { pubsub: "pubsub", topic }), `published to ${topic}`).toBe(
        types.length,
      );
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
  return [...text.matchAll(/^\| `([a-z_]+)` \| (counter|gauge|histogram) \|/gm)].map((m) => ({
    name: m[1] as string,
    type: m[2] as string,
  }));
}

/** The settings shared by the tests below: a small disk spool, fast retries, a drop route. */
const BOUND = 100;
const MAX_ATTEMPTS = 2;
const observedSettings: Partial<BridgeConfig> = {
  durability: "disk",
  spoolMaxEvents: BOUND,
  publishTimeoutMs: 1000,
  retry: { initialBackoffMs: 5, multiplier: 2, maxBackoffMs: 50, maxAttempts: MAX_ATTEMPTS },
  routes: [{ name: "no-activities", filter: { prefix: { type: "io.dapr.workflows.activity." } }, drop: true }],
};

/** Waits until the sidecar probe has a result, so `sidecar_reachable` is served. */
function probed(p: ObservedPipeline): Promise<Map<string, number>> {
  return scrapeUntil(p, (s) => series(s, "sidecar_reachable").length > 0, "the first sidecar probe to finish");
}

/** Waits until the bridge holds nothing: no pending event, no call in flight, no open stream. */
function settled(p: ObservedPipeline, what: string): Promise<Map<string, number>> {
  return scrapeUntil(
    p,
    (s) =>
      value(s, "spool_pending_events") === 0 &&
      value(s, "in_flight_calls") === 0 &&
      value(s, "in_flight_events") === 0 &&
      value(s, "window_events") === 0 &&
      value(s, "active_streams") === 0,
    what,
  );
}

describe("the series move as events flow, scraped over HTTP", () => {
  it("counts an outage: the spool fills to its bound, the sink holds back, failures and retries are counted, all drains on healing", async () => {
    const p = await observedPipeline(observedSettings, { faults: { unavailable: true } });
    const before = await p.scrape();
    const sent: SentFrame[] = [];
    const emitting = emit({
      target: p.target,
      count: 1000,
      seed: 5,
      onSent: (frame) => {
        if (frame.event !== undefined && !ACTIVITY_KINDS.has(frame.event.kind))
          sent.push({ bytes: frame.bytes, key: frame.event.key });
      },
    });
    const down = await scrapeUntil(
      p,
      (s) =>
        value(s, "active_streams") === 1 &&
        value(s, "spool_pending_events") >= BOUND &&
        value(s, "publish_failures_total", { code: "unavailable" }) > 0,
      "a full spool and failing publishes while the sidecar is down",
    );
    // The frame read before the room check may land one past the bound (as in pipeline.test.ts).
    expect(value(down, "spool_pending_events")).toBeLessThanOrEqual(BOUND + 1);
    expect(value(down, "spool_bytes")).toBeGreaterThan(0);
    expect(value(down, "retries_total")).toBeGreaterThan(value(before, "retries_total"));
    expect(value(down, "events_published_total")).toBe(0);
    // The sidecar answers GetMetadata; only publishing is down.
    expect(value(await probed(p), "sidecar_reachable")).toBe(1);

    p.sidecar.setFaults({ unavailable: false });
    const result = await emitting;
    expect(result.acknowledged).toBe(true);
    await p.sidecar.waitFor((r) => compareDelivery(sent, r).missing === 0, { timeoutMs: 30_000 });
    const healed = await settled(p, "the backlog to drain");
    const mainTopic = p.sidecar.received("pubsub", "dapr-events").length;
    expect(mainTopic).toBe(sent.length);
    expect(value(healed, "events_published_total", { pubsub: "pubsub", topic: "dapr-events" })).toBe(mainTopic);
    expect(value(healed, "backpressure_seconds_total")).toBeGreaterThan(value(before, "backpressure_seconds_total"));
    expect(value(healed, "end_to_end_latency_seconds_count")).toBe(mainTopic);
    expect(value(healed, "end_to_end_latency_seconds_sum")).toBeGreaterThan(0);
    expect(value(healed, "events_dropped_total", { route: "no-activities" })).toBe(1000 - sent.length);
    expect(value(healed, "events_received_total")).toBe(1000);
    expect(value(healed, "spool_bytes")).toBeLessThan(value(down, "spool_bytes"));
  });

  it("counts a hanging sidecar: calls and events in flight until the deadline, deadline_exceeded, then delivery", async () => {
    const p = await observedPipeline(observedSettings);
    p.sidecar.setFaults({ latencyMs: 60_000 });
    const frames = Array.from({ length: 20 }, (_, i) => makeEvent("invoked", { actorId: `hang-${i}` }).bytes);
    const result = await emit({ target: p.target, frames });
    expect(result.acknowledged).toBe(true);
    const hanging = await scrapeUntil(p, (s) => value(s, "in_flight_calls") > 0, "publish calls in flight");
    expect(value(hanging, "in_flight_calls")).toBeLessThanOrEqual(8);
    expect(value(hanging, "in_flight_events")).toBeGreaterThanOrEqual(value(hanging, "in_flight_calls"));
    await scrapeUntil(
      p,
      (s) => value(s, "publish_failures_total", { code: "deadline_exceeded" }) > 0,
      "a publish call to pass its deadline",
    );

    p.sidecar.setFaults({ latencyMs: 0 });
    await p.sidecar.waitFor(frames.length, { timeoutMs: 30_000 });
    const healed = await settled(p, "the retried calls to finish");
    expect(value(healed, "publish_failures_total", { code: "deadline_exceeded" })).toBeGreaterThan(0);
    expect(value(healed, "retries_total")).toBeGreaterThan(0);
    expect(value(healed, "events_published_total", { pubsub: "pubsub", topic: "dapr-events" })).toBe(frames.length);
  });

  it("counts rejections, garbage and drops: dead letters after maxAttempts, undecodable, dropped, accepted = received - dropped", async () => {
    const p = await observedPipeline(observedSettings, {
      faults: { rejectTopics: { "dapr-events": GrpcStatus.INVALID_ARGUMENT } },
    });
    const garbage = Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
    const rejectedFrames = [
      makeEvent("invoked", { actorId: "dl-1" }).bytes,
      makeEvent("execution_started", { instanceId: "dl-wf" }).bytes,
    ];
    const dropped = makeEvent("task_scheduled", { instanceId: "dl-wf" }).bytes;
    const result = await emit({ target: p.target, frames: [...rejectedFrames, garbage, dropped] });
    expect(result.acknowledged).toBe(true);
    await p.sidecar.waitFor((r) => r.filter((e) => e.topic === DEAD_LETTER_TOPIC).length === 3, { timeoutMs: 20_000 });
    const dead = await scrapeUntil(
      p,
      (s) =>
        value(s, "events_published_total", { topic: DEAD_LETTER_TOPIC }) === 3 &&
        value(s, "spool_pending_events") === 0,
      "the dead letters to be counted",
    );
    expect(p.sidecar.received("pubsub", "dapr-events")).toHaveLength(0);
    expect(value(dead, "dead_lettered_total", { reason: "max_attempts" })).toBe(2);
    expect(value(dead, "publish_failures_total", { code: "rejected" })).toBe(2 * MAX_ATTEMPTS);
    expect(value(dead, "retries_total")).toBe(2 * (MAX_ATTEMPTS - 1));
    expect(value(dead, "undecodable_total")).toBe(1);
    expect(value(dead, "events_received_total", { type: "io.dapr.bridge.undecodable" })).toBe(1);
    expect(value(dead, "events_received_total")).toBe(4);
    expect(value(dead, "events_dropped_total", { route: "no-activities" })).toBe(1);
    expect(value(dead, "events_accepted_total")).toBe(3);
    expect(value(dead, "events_published_total")).toBe(3);
  });

  it("counts a stream the client cancels while held back as a stream error (aborted), and publishes what it sent before", async () => {
    // The cancel comes while the sink waits for room (the sidecar is down, the spool full), so
    // it reaches the bridge as a cancel. (A cancel that races with reading can look like a
    // half-close to the handler: the HTTP/2 stream ends before grpc-js reports the cancel.)
    const p = await observedPipeline(observedSettings, { faults: { unavailable: true } });
    const abort = new AbortController();
    const endless = emit({ target: p.target, count: Number.POSITIVE_INFINITY, seed: 9, signal: abort.signal });
    await scrapeUntil(
      p,
      (s) => value(s, "active_streams") === 1 && value(s, "spool_pending_events") >= BOUND,
      "the endless stream to be held back by a full spool",
    );
    abort.abort();
    const aborted = await endless;
    expect(aborted.acknowledged).toBe(false);
    expect(aborted.error?.code).toBe("aborted");
    const after = await scrapeUntil(
      p,
      (s) => value(s, "stream_errors_total") > 0 && value(s, "active_streams") === 0,
      "the aborted stream to be counted",
    );
    expect(value(after, "stream_errors_total", { code: "aborted" })).toBe(1);
    expect(value(after, "stream_errors_total")).toBe(1);

    p.sidecar.setFaults({ unavailable: false });
    const delivered = await settled(p, "what the stream sent to be published");
    const accepted = value(delivered, "events_accepted_total");
    expect(accepted).toBeGreaterThanOrEqual(BOUND);
    expect(accepted).toBe(value(delivered, "events_received_total") - value(delivered, "events_dropped_total"));
    expect(value(delivered, "events_published_total")).toBe(accepted);
    expect(p.sidecar.received()).toHaveLength(accepted);
  });

  it("serves every documented series with its type's samples, in Prometheus text 0.0.4", async () => {
    const documented = documentedSeries();
    expect(documented.length).toBeGreaterThanOrEqual(20);
    const p = await observedPipeline(
      { ...observedSettings, maxMessageBytes: 2048 },
      { faults: { rejectTopics: { "dapr-events": GrpcStatus.INVALID_ARGUMENT } } },
    );
    const response = await fetch(p.metricsUrl);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const before = parsePrometheusText(await response.text());
    // Traffic that gives every labelled series a sample: a rejected event (failures, retries,
    // a dead letter), garbage (undecodable), a dropped event, then an oversized frame that
    // ends the stream with an error.
    const frames = [
      makeEvent("invoked", { actorId: "doc-1" }).bytes,
      Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]),
      makeEvent("task_scheduled", { instanceId: "doc-wf" }).bytes,
      Buffer.alloc(4096, 1),
    ];
    const result = await emit({ target: p.target, frames });
    expect(result.acknowledged).toBe(false);
    expect(result.error?.code).toBe("resource_exhausted");
    await p.sidecar.waitFor((r) => r.filter((e) => e.topic === DEAD_LETTER_TOPIC).length === 2, { timeoutMs: 20_000 });
    await probed(p);
    const after = await scrapeUntil(
      p,
      (s) =>
        value(s, "events_published_total", { topic: DEAD_LETTER_TOPIC }) === 2 && value(s, "stream_errors_total") > 0,
      "the dead letters and the stream error to be counted",
    );
    for (const { name, type } of documented) {
      const names = type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
      for (const n of names) expect(series(after, n).length, `series ${METRIC_PREFIX}${n}`).toBeGreaterThan(0);
    }
    // The counters this traffic drives all moved (backpressure_seconds_total: see the outage test).
    const moved = [
      "events_received_total",
      "events_accepted_total",
      "events_published_total",
      "publish_failures_total",
      "retries_total",
      "dead_lettered_total",
      "events_dropped_total",
      "undecodable_total",
      "end_to_end_latency_seconds_count",
      "received_bytes_total",
      "stream_errors_total",
    ];
    for (const name of moved) expect(value(after, name), name).toBeGreaterThan(value(before, name));
  });
});
