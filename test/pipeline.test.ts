import { CloudEvent as SdkCloudEvent } from "cloudevents";
import { afterEach, describe, expect, it } from "vitest";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { parseFrame } from "../src/cloudevents/frame.js";
import { compareDelivery, type SentFrame } from "../src/devtools/delivery-check.js";
import { emit } from "../src/devtools/emitter.js";
import { makeEvent } from "../src/devtools/sequences.js";
import { ACTOR_KINDS, COMPLETION_STATUSES, WORKFLOW_KINDS } from "../src/devtools/sequences-kinds.js";
import { bridgeType, TypeName } from "../src/proto/protos.js";
import { startPipeline, waitUntil, type Pipeline } from "./helpers/pipeline.js";

const open: Pipeline[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((p) => p.close()));
});

async function pipeline(...args: Parameters<typeof startPipeline>): Promise<Pipeline> {
  const p = await startPipeline(...args);
  open.push(p);
  return p;
}

const cloudEventType = bridgeType(TypeName.CloudEvent);

interface DecodedAttr {
  ce_string?: string;
  ce_integer?: number;
  ce_boolean?: boolean;
  ce_uri?: string;
  ce_uri_ref?: string;
  ce_timestamp?: { seconds: number; nanos: number };
}
interface DecodedCe {
  id: string;
  source: string;
  spec_version: string;
  type: string;
  attributes: Record<string, DecodedAttr>;
  proto_data?: { type_url: string; value: Uint8Array };
  binary_data?: Uint8Array;
}

/** Decodes with protobufjs reflection over the .proto files: independent of the bridge's encoder. */
function decodeCe(data: Uint8Array): DecodedCe {
  return cloudEventType.toObject(cloudEventType.decode(data), { longs: Number, defaults: false }) as DecodedCe;
}

function attr(ce: DecodedCe, name: string): string | number | boolean | undefined {
  const value = ce.attributes[name];
  if (value === undefined) return undefined;
  return value.ce_string ?? value.ce_uri ?? value.ce_uri_ref ?? value.ce_integer ?? value.ce_boolean;
}

const EXPECTED_TYPES: Record<string, string> = {
  execution_started: "io.dapr.workflows.started",
  execution_completed: "io.dapr.workflows.completed",
  execution_terminated: "io.dapr.workflows.terminated",
  execution_suspended: "io.dapr.workflows.suspended",
  execution_resumed: "io.dapr.workflows.resumed",
  execution_failed: "io.dapr.workflows.failed",
  execution_canceled: "io.dapr.workflows.canceled",
  task_scheduled: "io.dapr.workflows.activity.scheduled",
  task_completed: "io.dapr.workflows.activity.completed",
  task_failed: "io.dapr.workflows.activity.failed",
  timer_created: "io.dapr.workflows.timer.created",
  timer_fired: "io.dapr.workflows.timer.fired",
  sub_orchestration_created: "io.dapr.workflows.child.created",
  sub_orchestration_completed: "io.dapr.workflows.child.completed",
  sub_orchestration_failed: "io.dapr.workflows.child.failed",
  event_raised: "io.dapr.workflows.event.raised",
  activated: "io.dapr.actors.activated",
  deactivated: "io.dapr.actors.deactivated",
  invoked: "io.dapr.actors.invoked",
  reminder_triggered: "io.dapr.actors.reminder.triggered",
  timer_triggered: "io.dapr.actors.timer.triggered",
};
const COMPLETED_BY_STATUS: Record<string, string> = {
  COMPLETED: "io.dapr.workflows.completed",
  FAILED: "io.dapr.workflows.failed",
  TERMINATED: "io.dapr.workflows.terminated",
  CANCELED: "io.dapr.workflows.canceled",
  CONTINUED_AS_NEW: "io.dapr.workflows.continued_as_new",
};

/** One frame per row of the type table (docs/contract.md §3.4), each with its own key, and the type it must become. */
function typeTableFrames(): Array<{ frame: Uint8Array; type: string; key: string; family: string }> {
  const rows: Array<{ frame: Uint8Array; type: string; key: string; family: string }> = [];
  WORKFLOW_KINDS.forEach((kind, i) => {
    if (kind === "execution_completed") return;
    const e = makeEvent(kind, { instanceId: `wf-${i}`, workflowName: "OrderWorkflow" });
    rows.push({ frame: e.bytes, type: EXPECTED_TYPES[kind] as string, key: e.key, family: "workflow" });
  });
  COMPLETION_STATUSES.forEach((status, i) => {
    const e = makeEvent("execution_completed", {
      instanceId: `done-${i}`,
      workflowName: "OrderWorkflow",
      completionStatus: status,
    });
    rows.push({ frame: e.bytes, type: COMPLETED_BY_STATUS[status] as string, key: e.key, family: "workflow" });
  });
  ACTOR_KINDS.forEach((kind, i) => {
    const e = makeEvent(kind, { actorType: "CartActor", actorId: `cart-${i}` });
    rows.push({ frame: e.bytes, type: EXPECTED_TYPES[kind] as string, key: e.key, family: "actor" });
  });
  return rows;
}

describe("the bridge end to end over loopback gRPC", () => {
  it.each(["SendEventsAlpha1", "OnEventAlpha1"] as const)(
    "turns every row of the type table into its CloudEvent, protobuf format, via %s",
    async (method) => {
      const p = await pipeline();
      const rows = typeTableFrames();
      const result = await emit({
        target: p.target,
        method,
        appId: "order-app",
        namespace: "prod",
        frames: rows.map((r) => r.frame),
      });
      expect(result.acknowledged).toBe(true);
      await p.sidecar.waitFor(rows.length, { timeoutMs: 20_000 });
      const received = p.sidecar.received("pubsub", "dapr-events");
      expect(received).toHaveLength(rows.length);
      const bySubjectAndType = new Map(received.map((r) => [decodeCe(r.data), r] as const));
      for (const row of rows) {
        const inner = parseFrame(row.frame);
        const match = [...bySubjectAndType].find(([ce]) =>
          Buffer.from(ce.proto_data?.value ?? []).equals(Buffer.from(inner.bytes)),
        );
        expect(match, `CloudEvent for ${row.type}`).toBeDefined();
        const [ce, publish] = match as [DecodedCe, (typeof received)[number]];
        expect(ce.type).toBe(row.type);
        expect(ce.spec_version).toBe("1.0");
        expect(ce.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(attr(ce, "daprappid")).toBe("order-app");
        expect(attr(ce, "daprnamespace")).toBe("prod");
        expect(attr(ce, "partitionkey")).toBe(row.key);
        expect(attr(ce, "datacontenttype")).toBe("application/protobuf");
        const typeUrl = `type.googleapis.com/dapr.proto.events.v1alpha1.${row.family === "workflow" ? "WorkflowsEvent" : "ActorsEvent"}`;
        expect(attr(ce, "dataschema")).toBe(`https://${typeUrl}`);
        expect(ce.proto_data?.type_url).toBe(typeUrl);
        expect(ce.attributes["time"]?.ce_timestamp?.seconds).toBe(inner.time?.seconds);
        if (row.family === "workflow") {
          expect(ce.source).toBe("/dapr/prod/order-app/workflows/OrderWorkflow");
          expect(attr(ce, "subject")).toBe(row.key);
          expect(typeof attr(ce, "workflowstatus")).toBe("string");
        } else {
          expect(ce.source).toBe("/dapr/prod/order-app/actors/CartActor");
          expect(row.key).toBe(`CartActor/${String(attr(ce, "subject"))}`);
          expect(attr(ce, "workflowstatus")).toBeUndefined();
        }
        expect(publish.contentType).toBe("application/cloudevents+protobuf");
        expect(publish.metadata).toEqual({
          rawPayload: "true",
          partitionKey: row.key,
          "content-type": "application/cloudevents+protobuf",
        });
      }
      expect(new Set(received.map((r) => decodeCe(r.data).type))).toEqual(new Set(rows.map((r) => r.type)));
    },
  );

  it("publishes the JSON format that the cloudevents SDK reads back, with every attribute", async () => {
    const p = await pipeline({ format: "json" });
    const rows = typeTableFrames();
    const result = await emit({
      target: p.target,
      appId: "order-app",
      namespace: "prod",
      frames: rows.map((r) => r.frame),
    });
    expect(result.acknowledged).toBe(true);
    const received = await p.sidecar.waitFor(rows.length, { timeoutMs: 20_000 });
    const types = new Set<string>();
    for (const publish of received) {
      expect(publish.contentType).toBe("application/cloudevents+json");
      // Strict (the default): every attribute validated against the spec's schema.
      const event = new SdkCloudEvent(JSON.parse(publish.data.toString("utf8")) as Record<string, unknown>);
      types.add(event.type);
      expect(event.specversion).toBe("1.0");
      expect(event.datacontenttype).toBe("application/json");
      expect(event["daprappid"]).toBe("order-app");
      expect(event["daprnamespace"]).toBe("prod");
      expect(publish.metadata).toEqual({ partitionKey: event["partitionkey"] });
      expect(event.source).toMatch(/^\/dapr\/prod\/order-app\/(workflows\/OrderWorkflow|actors\/CartActor)$/);
      expect(typeof event.time).toBe("string");
      expect(event.subject).toBeTruthy();
      expect(typeof event.data).toBe("object");
      if (event.type.startsWith("io.dapr.workflows.")) {
        expect(event.dataschema).toBe("https://type.googleapis.com/dapr.proto.events.v1alpha1.WorkflowsEvent");
        expect((event.data as unknown as { metadata?: { instanceId?: string } }).metadata?.instanceId).toBe(
          event.subject,
        );
      } else {
        expect(event.dataschema).toBe("https://type.googleapis.com/dapr.proto.events.v1alpha1.ActorsEvent");
      }
    }
    expect(types).toEqual(new Set(rows.map((r) => r.type)));
  });

  it("keeps a garbage frame amid good ones: the good ones arrive, the stream is acknowledged, the bad one is dead-lettered with its bytes", async () => {
    const p = await pipeline();
    const good = Array.from({ length: 20 }, (_, i) => makeEvent("invoked", { actorId: `a-${i}` }).bytes);
    const garbage = Buffer.from([0x12, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
    const frames = [...good.slice(0, 10), garbage, ...good.slice(10)];
    const result = await emit({ target: p.target, frames });
    expect(result.acknowledged).toBe(true);
    expect(result.sent).toBe(21);
    await p.sidecar.waitFor(21, { timeoutMs: 20_000 });
    const main = p.sidecar.received("pubsub", "dapr-events");
    const report = compareDelivery(
      good.map((bytes) => ({ bytes, key: "" })),
      main,
    );
    expect(report.missing).toBe(0);
    const dead = p.sidecar.received("pubsub", "dapr-events-deadletter");
    expect(dead).toHaveLength(1);
    const ce = decodeCe((dead[0] as { data: Buffer }).data);
    expect(ce.type).toBe("io.dapr.bridge.undecodable");
    expect(Buffer.from(ce.binary_data ?? []).equals(garbage)).toBe(true);
    expect(attr(ce, "deadletterreason")).toBe("undecodable");
    expect(String(attr(ce, "deadlettererror")).length).toBeGreaterThan(0);
  });

  it("ends a stream with RESOURCE_EXHAUSTED on an oversized message, keeping the events read before it", async () => {
    const p = await pipeline({ maxMessageBytes: 2048 });
    const good = Array.from({ length: 5 }, (_, i) => makeEvent("invoked", { actorId: `big-${i}` }).bytes);
    const oversized = Buffer.alloc(4096, 1);
    const result = await emit({ target: p.target, frames: [...good, oversized] });
    expect(result.acknowledged).toBe(false);
    expect(result.error?.code).toBe("resource_exhausted");
    expect(result.error?.message).toMatch(/larger than max/);
    await p.sidecar.waitFor(5, { timeoutMs: 20_000 });
    const report = compareDelivery(
      good.map((bytes) => ({ bytes, key: "" })),
      p.sidecar.received("pubsub", "dapr-events"),
    );
    expect(report.missing).toBe(0);
    expect(p.bridge.status().activeStreams).toBe(0);
  });

  it("delivers every event while the sidecar fails 30% of calls with UNAVAILABLE, keeping per-key order", async () => {
    const p = await pipeline({}, { faults: { failureRate: 0.3, failureCode: GrpcStatus.UNAVAILABLE }, seed: 7 });
    const sent: SentFrame[] = [];
    const result = await emit({
      target: p.target,
      streams: 2,
      count: 1000,
      onSent: (frame) => sent.push({ bytes: frame.bytes, key: frame.event?.key ?? "" }),
    });
    expect(result.acknowledged).toBe(true);
    await p.sidecar.waitFor((r) => compareDelivery(sent, r).missing === 0, { timeoutMs: 60_000 });
    const report = compareDelivery(sent, p.sidecar.received("pubsub", "dapr-events"));
    expect(report.sent).toBe(2000);
    expect(report.missing).toBe(0);
    expect(report.outOfOrderKeys).toEqual([]);
    expect(p.sidecar.stats().failuresInjected).toBeGreaterThan(0);
  });

  it("stops reading the stream when the queue is full, and resumes when there is room", async () => {
    const bound = 50;
    const count = 3000;
    const p = await pipeline({ durability: "memory", maxInMemoryEvents: bound }, { faults: { unavailable: true } });
    const sent: SentFrame[] = [];
    const emitting = emit({
      target: p.target,
      count,
      onSent: (frame) => sent.push({ bytes: frame.bytes, key: frame.event?.key ?? "" }),
    });
    // The sidecar is down: the bridge takes `bound` events (one more may be read before the room check).
    await waitUntil(() => p.framesRead() >= bound, 20_000, "the bridge to read up to its bound");
    expect(p.framesRead()).toBeLessThanOrEqual(bound + 1);
    // Give it every chance to read on: the client has written ten times the bound into the
    // connection, and the bridge's own loop has since retried publishing many times (each retry
    // is a round trip through the same event loop that would read the stream).
    const failuresAtBound = p.sidecar.stats().failuresInjected;
    await waitUntil(
      () => sent.length >= 10 * bound && p.sidecar.stats().failuresInjected >= failuresAtBound + 50,
      30_000,
      "the client to write ten times the bound and the bridge to retry 50 more times",
    );
    // A bridge that kept reading would be far past the bound by now.
    const readWhileFull = p.framesRead();
    expect(readWhileFull).toBeLessThanOrEqual(bound + 1);
    expect(p.bridge.status().spool?.pending ?? 0).toBeLessThanOrEqual(bound + 1);
    expect(sent.length - readWhileFull).toBeGreaterThanOrEqual(9 * bound);
    // Room is made (the sidecar heals): reading resumes and the whole stream goes through.
    p.sidecar.setFaults({ unavailable: false });
    const result = await emitting;
    expect(result.acknowledged).toBe(true);
    expect(p.framesRead()).toBe(count);
    await p.sidecar.waitFor((r) => compareDelivery(sent, r).missing === 0, { timeoutMs: 60_000 });
    expect(compareDelivery(sent, p.sidecar.received("pubsub", "dapr-events")).missing).toBe(0);
  });
});
