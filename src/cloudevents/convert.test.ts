import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { bridgeProtos, TypeName } from "../proto/protos.js";
import { convertFrame, undecodableRecord } from "./convert.js";
import { encodeJson } from "./encode-json.js";
import type { CloudEventRecord, SourceIdentity } from "./record.js";

const root = bridgeProtos();
const WorkflowsEvent = root.lookupType(TypeName.WorkflowsEvent);
const ActorsEvent = root.lookupType(TypeName.ActorsEvent);
const identity: SourceIdentity = { appId: "orders", namespace: "prod" };
const ID = "0190f2a4-7b1c-7def-8abc-0123456789ab";
const TIME = { seconds: 1_700_000_000, nanos: 123_000_000 };
const WF_TYPE_URL = "type.googleapis.com/dapr.proto.events.v1alpha1.WorkflowsEvent";
const ACTOR_TYPE_URL = "type.googleapis.com/dapr.proto.events.v1alpha1.ActorsEvent";
// dataschema is the type URL with its scheme: an absolute URI, as strict SDKs require.
const WF_SCHEMA = `https://${WF_TYPE_URL}`;
const ACTOR_SCHEMA = `https://${ACTOR_TYPE_URL}`;

const STATUS = {
  RUNNING: 0,
  COMPLETED: 1,
  CONTINUED_AS_NEW: 2,
  FAILED: 3,
  CANCELED: 4,
  TERMINATED: 5,
  PENDING: 6,
  SUSPENDED: 7,
};

function encode(type: protobuf.Type, object: Record<string, unknown>): Uint8Array {
  return type.encode(type.fromObject(object)).finish();
}

/** An EventRequest frame around already-encoded inner bytes (Event field 1 or 2). */
function frameAround(member: 1 | 2, inner: Uint8Array, time: typeof TIME | null = TIME): Uint8Array {
  const writer = protobuf.Writer.create();
  if (time !== null) writer.uint32(10).fork().uint32(8).int64(time.seconds).uint32(16).int32(time.nanos).ldelim();
  writer
    .uint32(18)
    .fork()
    .uint32((member << 3) | 2)
    .bytes(inner)
    .ldelim();
  return writer.finish();
}

function workflowFrame(event: Record<string, unknown>): { frame: Uint8Array; inner: Uint8Array } {
  const inner = encode(WorkflowsEvent, event);
  return { frame: frameAround(1, inner), inner };
}

const metadata = { instanceId: "wf-1", name: "OrderWorkflow", runtimeStatus: STATUS.RUNNING };

/** The record with its data bytes as a Buffer, so views of Buffers and of Uint8Arrays compare equal. */
function normalized(record: CloudEventRecord): CloudEventRecord {
  return { ...record, data: { ...record.data, value: Buffer.from(record.data.value) } };
}

function expectWorkflowRecord(record: CloudEventRecord, type: string, inner: Uint8Array, status = "running"): void {
  expect(normalized(record)).toEqual({
    id: ID,
    source: "/dapr/prod/orders/workflows/OrderWorkflow",
    specversion: "1.0",
    type,
    subject: "wf-1",
    time: TIME,
    datacontenttype: "application/protobuf",
    dataschema: WF_SCHEMA,
    extensions: { partitionkey: "wf-1", daprappid: "orders", daprnamespace: "prod", workflowstatus: status },
    data: { kind: "proto", typeUrl: WF_TYPE_URL, value: Buffer.from(inner) },
  });
}

function undecodableError(frame: Uint8Array): BridgeError {
  try {
    convertFrame(frame, identity, ID);
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe(ErrorCode.Undecodable);
    return error as BridgeError;
  }
  throw new Error("convertFrame accepted a frame it should have rejected");
}

describe("convertFrame: workflow events", () => {
  const rows: ReadonlyArray<[string, string, Record<string, unknown>]> = [
    ["execution_completed", "io.dapr.workflows.completed", { workflowStatus: STATUS.COMPLETED }],
    ["execution_terminated", "io.dapr.workflows.terminated", { recurse: true }],
    ["execution_suspended", "io.dapr.workflows.suspended", { input: { value: "why" } }],
    ["execution_resumed", "io.dapr.workflows.resumed", {}],
    [
      "execution_failed",
      "io.dapr.workflows.failed",
      { orchestration_instance: { instanceId: "wf-1" }, reason: "boom" },
    ],
    ["execution_canceled", "io.dapr.workflows.canceled", { reason: "user" }],
    ["task_completed", "io.dapr.workflows.activity.completed", { taskScheduledId: 3 }],
    ["task_failed", "io.dapr.workflows.activity.failed", { taskScheduledId: 3, failureDetails: { errorType: "E" } }],
    ["timer_created", "io.dapr.workflows.timer.created", { fireAt: { seconds: 5 } }],
    ["timer_fired", "io.dapr.workflows.timer.fired", { timerId: 2 }],
    ["sub_orchestration_completed", "io.dapr.workflows.child.completed", { taskScheduledId: 1 }],
    ["sub_orchestration_failed", "io.dapr.workflows.child.failed", { taskScheduledId: 1 }],
    ["event_raised", "io.dapr.workflows.event.raised", { name: "approval" }],
  ];
  it.each(rows)("%s becomes %s with every attribute", (member, type, value) => {
    const { frame, inner } = workflowFrame({ metadata, [member]: value });
    expectWorkflowRecord(convertFrame(frame, identity, ID), type, inner);
  });

  const traced: ReadonlyArray<[string, string, Record<string, unknown>]> = [
    [
      "execution_started",
      "io.dapr.workflows.started",
      { name: "OrderWorkflow", parentTraceContext: { traceParent: "00-aa-bb-01", traceState: { value: "k=v" } } },
    ],
    [
      "task_scheduled",
      "io.dapr.workflows.activity.scheduled",
      { name: "Charge", parentTraceContext: { traceParent: "00-aa-bb-01", traceState: { value: "k=v" } } },
    ],
    [
      "sub_orchestration_created",
      "io.dapr.workflows.child.created",
      { instanceId: "child", parentTraceContext: { traceParent: "00-aa-bb-01", traceState: { value: "k=v" } } },
    ],
  ];
  it.each(traced)("%s becomes %s and carries traceparent and tracestate", (member, type, value) => {
    const { frame, inner } = workflowFrame({ metadata, [member]: value });
    const record = convertFrame(frame, identity, ID);
    expect(record.type).toBe(type);
    expect(record.extensions).toEqual({
      partitionkey: "wf-1",
      daprappid: "orders",
      daprnamespace: "prod",
      workflowstatus: "running",
      traceparent: "00-aa-bb-01",
      tracestate: "k=v",
    });
    expect(record.data).toEqual({ kind: "proto", typeUrl: WF_TYPE_URL, value: inner });
  });

  it("leaves trace extensions out when the trace context is absent or empty", () => {
    const { frame } = workflowFrame({
      metadata,
      task_scheduled: { name: "Charge", parentTraceContext: { traceParent: "" } },
    });
    const record = convertFrame(frame, identity, ID);
    expect(record.extensions).not.toHaveProperty("traceparent");
    expect(record.extensions).not.toHaveProperty("tracestate");
  });

  const completions: ReadonlyArray<[keyof typeof STATUS, string]> = [
    ["COMPLETED", "io.dapr.workflows.completed"],
    ["FAILED", "io.dapr.workflows.failed"],
    ["TERMINATED", "io.dapr.workflows.terminated"],
    ["CANCELED", "io.dapr.workflows.canceled"],
    ["CONTINUED_AS_NEW", "io.dapr.workflows.continued_as_new"],
    ["RUNNING", "io.dapr.workflows.completed"],
    ["PENDING", "io.dapr.workflows.completed"],
    ["SUSPENDED", "io.dapr.workflows.completed"],
  ];
  it.each(completions)("execution_completed with status %s becomes %s", (status, type) => {
    const { frame, inner } = workflowFrame({ metadata, execution_completed: { workflowStatus: STATUS[status] } });
    expectWorkflowRecord(convertFrame(frame, identity, ID), type, inner);
  });

  it("sets workflowstatus from metadata.runtimeStatus, lower case without prefix", () => {
    const { frame } = workflowFrame({
      metadata: { ...metadata, runtimeStatus: STATUS.CONTINUED_AS_NEW },
      execution_resumed: {},
    });
    expect(convertFrame(frame, identity, ID).extensions.workflowstatus).toBe("continued_as_new");
    const noMeta = workflowFrame({ execution_started: { name: "W", workflowInstance: { instanceId: "i-9" } } });
    const record = convertFrame(noMeta.frame, identity, ID);
    expect(record.extensions).not.toHaveProperty("workflowstatus");
    expect(record.subject).toBe("i-9");
    expect(record.extensions.partitionkey).toBe("i-9");
  });

  it("takes the workflow name from execution_started when metadata has none, else 'unknown'", () => {
    const started = workflowFrame({ metadata: { instanceId: "wf-1" }, execution_started: { name: "FromStarted" } });
    expect(convertFrame(started.frame, identity, ID).source).toBe("/dapr/prod/orders/workflows/FromStarted");
    const nameless = workflowFrame({ metadata: { instanceId: "wf-1" }, execution_resumed: {} });
    expect(convertFrame(nameless.frame, identity, ID).source).toBe("/dapr/prod/orders/workflows/unknown");
  });

  it("percent-encodes source segments that are not URI-safe and omits subject without an instance id", () => {
    const { frame } = workflowFrame({ metadata: { name: "My Flow/v2" }, execution_resumed: {} });
    const record = convertFrame(frame, { appId: "a b", namespace: "ns" }, ID);
    expect(record.source).toBe("/dapr/ns/a%20b/workflows/My%20Flow%2Fv2");
    expect(record).not.toHaveProperty("subject");
    expect(record.extensions.partitionkey).toBe("unknown");
  });

  it("omits time when the frame has none", () => {
    const record = convertFrame(
      frameAround(1, encode(WorkflowsEvent, { metadata, execution_resumed: {} }), null),
      identity,
      ID,
    );
    expect(record).not.toHaveProperty("time");
  });

  it("keeps fields it does not know in the data bytes, untouched", () => {
    const known = encode(WorkflowsEvent, { metadata, execution_started: { name: "OrderWorkflow" } });
    // Field 99, varint 4242, and field 100, a string: unknown to WorkflowsEvent.
    const unknown = protobuf.Writer.create()
      .uint32((99 << 3) | 0)
      .uint32(4242)
      .uint32((100 << 3) | 2)
      .string("future")
      .finish();
    const inner = new Uint8Array([...known, ...unknown]);
    const record = convertFrame(frameAround(1, inner), identity, ID);
    expect(record.type).toBe("io.dapr.workflows.started");
    expect(record.data.kind).toBe("proto");
    expect(Buffer.from(record.data.value).equals(Buffer.from(inner))).toBe(true);
    expect(Buffer.from(record.data.value).includes(Buffer.from(unknown))).toBe(true);
  });

  it("converts a child workflow's start whose parent names its app (daprd 1.17+), in both formats", () => {
    // Written field by field, as Dapr's durabletask fork puts it on the wire:
    // ParentInstanceInfo.appID (5) and appNamespace (6) are `optional string`, not wrappers.
    const w = protobuf.Writer.create();
    w.uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("child-1")
      .uint32((2 << 3) | 2)
      .string("ShippingWorkflow")
      .ldelim();
    w.uint32((2 << 3) | 2).fork(); // execution_started
    w.uint32((1 << 3) | 2).string("ShippingWorkflow");
    w.uint32((4 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("child-1")
      .ldelim(); // workflowInstance
    w.uint32((5 << 3) | 2).fork(); // parentInstance
    w.uint32((1 << 3) | 0).int32(3);
    w.uint32((4 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string("parent-1")
      .ldelim();
    w.uint32((5 << 3) | 2).string("order-app");
    w.uint32((6 << 3) | 2).string("prod");
    w.ldelim().ldelim();
    const inner = w.finish();
    const record = convertFrame(frameAround(1, inner), identity, ID);
    expect(record.type).toBe("io.dapr.workflows.started");
    expect(record.subject).toBe("child-1");
    expect(Buffer.from(record.data.value)).toEqual(Buffer.from(inner));
    const json = JSON.parse(Buffer.from(encodeJson(record)).toString("utf8")) as { data: unknown };
    expect(json.data).toEqual({
      metadata: { instanceId: "child-1", name: "ShippingWorkflow" },
      executionStarted: {
        name: "ShippingWorkflow",
        workflowInstance: { instanceId: "child-1" },
        parentInstance: {
          taskScheduledId: 3,
          workflowInstance: { instanceId: "parent-1" },
          appID: "order-app",
          appNamespace: "prod",
        },
      },
    });
  });

  it("writes a set proto3 optional field even when it is empty", () => {
    const { frame } = workflowFrame({ metadata, execution_started: { name: "W", parentInstance: { appID: "" } } });
    const json = JSON.parse(Buffer.from(encodeJson(convertFrame(frame, identity, ID))).toString("utf8")) as {
      data: { executionStarted: unknown };
    };
    expect(json.data.executionStarted).toEqual({ name: "W", parentInstance: { appID: "" } });
  });

  it("skips unknown EventRequest fields", () => {
    const { frame, inner } = workflowFrame({ metadata, execution_resumed: {} });
    const extra = protobuf.Writer.create()
      .uint32((7 << 3) | 2)
      .string("x")
      .finish();
    const record = convertFrame(new Uint8Array([...extra, ...frame]), identity, ID);
    expectWorkflowRecord(record, "io.dapr.workflows.resumed", inner);
  });
});

describe("convertFrame: actor events", () => {
  const actor = { type: "Cart", id: "c-7" };
  const rows: ReadonlyArray<[string, string, Record<string, unknown>]> = [
    ["activated", "io.dapr.actors.activated", { actor }],
    ["deactivated", "io.dapr.actors.deactivated", { actor }],
    ["invoked", "io.dapr.actors.invoked", { actor, method_name: "Add", caller_type: "Web", caller_id: "w1" }],
    ["reminder_triggered", "io.dapr.actors.reminder.triggered", { actor, name: "r" }],
    ["timer_triggered", "io.dapr.actors.timer.triggered", { actor, name: "t" }],
  ];
  it.each(rows)("%s becomes %s with every attribute", (member, type, value) => {
    const inner = encode(ActorsEvent, { [member]: value });
    expect(convertFrame(frameAround(2, inner), identity, ID)).toEqual({
      id: ID,
      source: "/dapr/prod/orders/actors/Cart",
      specversion: "1.0",
      type,
      subject: "c-7",
      time: TIME,
      datacontenttype: "application/protobuf",
      dataschema: ACTOR_SCHEMA,
      extensions: { partitionkey: "Cart/c-7", daprappid: "orders", daprnamespace: "prod" },
      data: { kind: "proto", typeUrl: ACTOR_TYPE_URL, value: inner },
    });
  });
});

describe("convertFrame: undecodable input", () => {
  const good = workflowFrame({ metadata, execution_resumed: {} }).frame;

  it("rejects a truncated frame, naming the field", () => {
    expect(undecodableError(good.subarray(0, good.length - 3)).message).toMatch(
      /EventRequest field 2 \(event\) is truncated/,
    );
  });

  it("rejects garbage", () => {
    expect(undecodableError(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])).message).toMatch(/EventRequest/);
    expect(undecodableError(new Uint8Array([0x00, 0x01])).message).toMatch(/number 0/);
  });

  it("rejects a frame without an event", () => {
    const timeOnly = protobuf.Writer.create().uint32(10).fork().uint32(8).int64(1).ldelim().finish();
    expect(undecodableError(timeOnly).message).toMatch(/no field 2 \(event\)/);
    expect(undecodableError(new Uint8Array()).message).toMatch(/no field 2 \(event\)/);
  });

  it("rejects an event field with the wrong wire type", () => {
    expect(undecodableError(new Uint8Array([0x10, 0x01])).message).toMatch(/field 2 \(event\) has wire type 0/);
  });

  it("rejects reserved and unknown Event members, and an empty Event", () => {
    for (const member of [3, 4, 5, 6]) {
      const frame = protobuf.Writer.create()
        .uint32(18)
        .fork()
        .uint32((member << 3) | 2)
        .bytes(new Uint8Array([8, 1]))
        .ldelim()
        .finish();
      expect(undecodableError(frame).message).toMatch(new RegExp(`member ${member}, reserved`));
    }
    const unknown = protobuf.Writer.create()
      .uint32(18)
      .fork()
      .uint32((9 << 3) | 2)
      .bytes(new Uint8Array())
      .ldelim()
      .finish();
    expect(undecodableError(unknown).message).toMatch(/unknown member 9/);
    const empty = protobuf.Writer.create().uint32(18).fork().ldelim().finish();
    expect(undecodableError(empty).message).toMatch(/Event has no member set/);
  });

  it("rejects a workflow event with no member and an actor event without its actor", () => {
    expect(undecodableError(frameAround(1, encode(WorkflowsEvent, { metadata }))).message).toMatch(
      /WorkflowsEvent has no event_type member/,
    );
    expect(undecodableError(frameAround(2, encode(ActorsEvent, { invoked: { method_name: "x" } }))).message).toMatch(
      /member invoked has no field 1 \(actor\)/,
    );
    expect(undecodableError(frameAround(2, new Uint8Array())).message).toMatch(/ActorsEvent has no event_type member/);
  });

  it("rejects malformed inner bytes and invalid times", () => {
    expect(undecodableError(frameAround(1, new Uint8Array([0x12, 0x05, 0x01]))).message).toMatch(
      /WorkflowsEvent .* is malformed/,
    );
    const badNanos = frameAround(1, encode(WorkflowsEvent, { metadata, execution_resumed: {} }), {
      seconds: 1,
      nanos: 2_000_000_000,
    });
    expect(undecodableError(badNanos).message).toMatch(/nanos 2000000000/);
  });
});

describe("undecodableRecord", () => {
  it("keeps the raw frame with the dead-letter extensions", () => {
    const frame = new Uint8Array([0xde, 0xad]);
    const error = new BridgeError(ErrorCode.Undecodable, "x".repeat(2000));
    const record = undecodableRecord(frame, identity, ID, error, 1_700_000_000_123);
    expect(record).toEqual({
      id: ID,
      source: "/dapr/prod/orders/bridge",
      specversion: "1.0",
      type: "io.dapr.bridge.undecodable",
      time: { seconds: 1_700_000_000, nanos: 123_000_000 },
      datacontenttype: "application/octet-stream",
      extensions: {
        partitionkey: "undecodable",
        daprappid: "orders",
        daprnamespace: "prod",
        deadletterreason: "undecodable",
        deadlettererror: "x".repeat(1024),
        deadletterattempts: 0,
      },
      data: { kind: "binary", value: frame },
    });
  });
});
