import { describe, expect, it } from "vitest";
import type { BridgeStatus } from "../bridge.js";
import type { CloudEventRecord } from "../cloudevents/record.js";
import { toEntry, type Entry } from "../delivery/entry.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { FrameOutcome } from "../sink/to-outbound.js";
import type { OutboundEvent } from "../spool/spool.js";
import { silentLogger } from "./logger.js";
import { BridgeMetrics } from "./metrics.js";
import { parsePrometheusText } from "./prometheus-text.js";

const P = "dapr_event_bridge_";
const identity = { appId: "orders", namespace: "default" };

function outbound(type: string, overrides: Partial<OutboundEvent> = {}): OutboundEvent {
  return {
    id: "0190a000-0000-7000-8000-000000000001",
    key: "wf-1",
    type,
    pubsub: "pubsub",
    topic: "dapr-events",
    format: "protobuf",
    payload: new Uint8Array([1, 2, 3]),
    acceptedAt: 1_000_000,
    ...overrides,
  };
}

function record(type: string): CloudEventRecord {
  return {
    id: "0190a000-0000-7000-8000-000000000001",
    source: "/dapr/default/orders/workflows/checkout",
    specversion: "1.0",
    type,
    extensions: {},
    data: { kind: "proto", typeUrl: "type.googleapis.com/x", value: new Uint8Array() },
  };
}

function entries(count: number, acceptedAt: number): Entry[] {
  return Array.from({ length: count }, (_, seq) =>
    toEntry({ ...outbound("io.dapr.workflows.started", { acceptedAt }), seq, attempts: 0 }),
  );
}

async function series(metrics: BridgeMetrics): Promise<Map<string, number>> {
  return parsePrometheusText(await metrics.registry.metrics());
}

describe("BridgeMetrics", () => {
  it("counts frames by type and outcome", async () => {
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    const accepted: FrameOutcome = {
      kind: "accepted",
      event: outbound("io.dapr.workflows.started"),
      record: record("io.dapr.workflows.started"),
    };
    const dropped: FrameOutcome = {
      kind: "dropped",
      routeName: "no-timers",
      record: record("io.dapr.workflows.timer.created"),
    };
    const undecodable: FrameOutcome = {
      kind: "undecodable",
      event: outbound("io.dapr.bridge.undecodable", { deadLetter: true }),
      error: new BridgeError(ErrorCode.Undecodable, "bad frame"),
    };
    metrics.frame(accepted, 100);
    metrics.frame(accepted, 50);
    metrics.frame(dropped, 10);
    metrics.frame(undecodable, 7);
    // Accepted means committed: only what reaches the spool counts (a failed commit does not).
    metrics.committed(
      [accepted.event, accepted.event, undecodable.event].map((event, seq) => ({
        ...event,
        deadLetter: event.deadLetter === true,
        seq,
        attempts: 0,
      })),
    );

    const s = await series(metrics);
    expect(s.get(`${P}events_received_total{type="io.dapr.workflows.started"}`)).toBe(2);
    expect(s.get(`${P}events_received_total{type="io.dapr.workflows.timer.created"}`)).toBe(1);
    expect(s.get(`${P}events_received_total{type="io.dapr.bridge.undecodable"}`)).toBe(1);
    expect(s.get(`${P}events_accepted_total`)).toBe(3);
    expect(s.get(`${P}events_dropped_total{route="no-timers"}`)).toBe(1);
    expect(s.get(`${P}undecodable_total`)).toBe(1);
    expect(s.get(`${P}received_bytes_total`)).toBe(167);
  });

  it("tracks streams and backpressure", async () => {
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    metrics.streamOpened(identity);
    metrics.streamOpened(identity);
    metrics.streamClosed(identity);
    metrics.streamOpened(identity);
    metrics.streamClosed(identity, new BridgeError(ErrorCode.Aborted, "client cancelled"));
    metrics.backpressure(250);
    metrics.backpressure(1500);

    const s = await series(metrics);
    expect(s.get(`${P}active_streams`)).toBe(1);
    expect(s.get(`${P}stream_errors_total{code="aborted"}`)).toBe(1);
    expect(s.get(`${P}backpressure_seconds_total`)).toBeCloseTo(1.75, 9);
  });

  it("counts stalls in progress at each scrape, each second once", async () => {
    let now = 1_000;
    const metrics = new BridgeMetrics({ defaultMetrics: false, monotonicNow: () => now });
    metrics.backpressureStarted();
    now += 2_000;
    expect((await series(metrics)).get(`${P}backpressure_seconds_total`)).toBeCloseTo(2, 9);
    metrics.backpressureStarted(); // a second stream stalls too
    now += 1_000;
    expect((await series(metrics)).get(`${P}backpressure_seconds_total`)).toBeCloseTo(4, 9);
    metrics.backpressure(3_000);
    now += 500;
    metrics.backpressure(1_500);
    now += 10_000; // no stall: nothing more is counted
    expect((await series(metrics)).get(`${P}backpressure_seconds_total`)).toBeCloseTo(4.5, 9);
  });

  it("counts publishes by batch and records end-to-end latency from acceptedAt", async () => {
    let wallNow = 10_000;
    const metrics = new BridgeMetrics({ defaultMetrics: false, now: () => wallNow });
    metrics.published("pubsub", "dapr-events", entries(3, wallNow - 4), 0); // 4 ms
    wallNow = 20_000;
    metrics.published("pubsub", "dapr-events", entries(2, wallNow - 2000), 0); // 2 s
    metrics.published("kafka", "audit", entries(1, wallNow), 0); // 0 s
    metrics.published("kafka", "audit", [], 0);

    const s = await series(metrics);
    expect(s.get(`${P}events_published_total{pubsub="pubsub",topic="dapr-events"}`)).toBe(5);
    expect(s.get(`${P}events_published_total{pubsub="kafka",topic="audit"}`)).toBe(1);
    const bucket = (le: string): number | undefined => s.get(`${P}end_to_end_latency_seconds_bucket{le="${le}"}`);
    expect(bucket("0.001")).toBe(1);
    expect(bucket("0.005")).toBe(4);
    expect(bucket("1")).toBe(4);
    expect(bucket("2.5")).toBe(6);
    expect(bucket("+Inf")).toBe(6);
    expect(s.get(`${P}end_to_end_latency_seconds_count`)).toBe(6);
    expect(s.get(`${P}end_to_end_latency_seconds_sum`)).toBeCloseTo(3 * 0.004 + 2 * 2, 9);
  });

  it("counts failures by code, retries, dead letters by reason and parked dead letters", async () => {
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    const unavailable = new BridgeError(ErrorCode.Unavailable, "sidecar down");
    const rejected = new BridgeError(ErrorCode.Rejected, "bad topic");
    metrics.publishFailed([unavailable, unavailable, rejected, unavailable]);
    const [entry] = entries(1, 0) as [Entry];
    metrics.retried(entry);
    metrics.retried(entry);
    metrics.deadLettered(entry, "max_attempts");
    metrics.deadLettered(entry, "max_age");
    metrics.deadLettered(entry, "max_attempts");
    metrics.parked(entry);

    const s = await series(metrics);
    expect(s.get(`${P}publish_failures_total{code="unavailable"}`)).toBe(3);
    expect(s.get(`${P}publish_failures_total{code="rejected"}`)).toBe(1);
    expect(s.get(`${P}retries_total`)).toBe(2);
    expect(s.get(`${P}dead_lettered_total{reason="max_attempts"}`)).toBe(2);
    expect(s.get(`${P}dead_lettered_total{reason="max_age"}`)).toBe(1);
    expect(s.get(`${P}dead_letter_parked_total`)).toBe(1);
  });

  it("reads spool and window gauges from the bound status at scrape time", async () => {
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    let status: BridgeStatus = {
      state: "running",
      activeStreams: 0,
      spool: { pending: 42, dead: 3, bytes: 4096 },
      delivery: { inWindow: 40, inFlightCalls: 2, inFlightEvents: 17, retrying: 5, backlogOnDisk: true },
    };
    metrics.bindStatus(() => status);
    let s = await series(metrics);
    expect(s.get(`${P}spool_pending_events`)).toBe(42);
    expect(s.get(`${P}spool_dead_events`)).toBe(3);
    expect(s.get(`${P}spool_bytes`)).toBe(4096);
    expect(s.get(`${P}window_events`)).toBe(40);
    expect(s.get(`${P}in_flight_calls`)).toBe(2);
    expect(s.get(`${P}in_flight_events`)).toBe(17);
    expect(s.get(`${P}retrying_events`)).toBe(5);
    expect(s.get(`${P}backlog_on_disk`)).toBe(1);

    status = { ...status, spool: { pending: 0, dead: 3, bytes: 100 } };
    s = await series(metrics);
    expect(s.get(`${P}spool_pending_events`)).toBe(0);
    expect(s.get(`${P}spool_bytes`)).toBe(100);

    expect((await metrics.registry.getSingleMetric(`${P}spool_dead_events`)?.get())?.values[0]?.value).toBe(3);
  });

  it("reports sidecar reachability only once probed", async () => {
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    expect((await series(metrics)).has(`${P}sidecar_reachable`)).toBe(false);
    metrics.setSidecarReachable(false);
    expect((await series(metrics)).get(`${P}sidecar_reachable`)).toBe(0);
    metrics.setSidecarReachable(true);
    expect((await series(metrics)).get(`${P}sidecar_reachable`)).toBe(1);
    expect(metrics.sidecarReachability()).toBe("reachable");
  });

  it("never throws from a hook, even when the status function does", async () => {
    const metrics = new BridgeMetrics({ defaultMetrics: false, logger: silentLogger() });
    metrics.bindStatus(() => {
      throw new Error("status exploded");
    });
    expect(() => metrics.published("pubsub", "t", [null as unknown as Entry], 0)).not.toThrow();
    expect(() => metrics.frame(null as unknown as FrameOutcome, 1)).not.toThrow();
    expect(() => metrics.publishFailed([undefined as unknown as BridgeError])).not.toThrow();
    await expect(metrics.registry.metrics()).resolves.toContain(`${P}spool_pending_events`);
  });

  it("keeps its own registry, with the default process metrics unless disabled", async () => {
    const a = new BridgeMetrics();
    const b = new BridgeMetrics({ defaultMetrics: false });
    a.retried(entries(1, 0)[0] as Entry);
    expect((await series(a)).has("process_cpu_user_seconds_total")).toBe(true);
    expect((await series(b)).has("process_cpu_user_seconds_total")).toBe(false);
    expect((await series(b)).get(`${P}retries_total`)).toBe(0);
    expect((await a.render()).contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
