import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { bridgeProtos, TypeName } from "../proto/protos.js";
import { ACTOR_KINDS, COMPLETION_STATUSES, WORKFLOW_KINDS } from "../devtools/sequences-kinds.js";
import { makeEvent, takeEvents } from "../devtools/sequences.js";
import { convertFrame } from "./convert.js";
import { encodeAttributeEntries, encodeProtobuf } from "./encode-protobuf.js";
import { parseAnyFrame } from "./frame.js";
import type { CloudEventRecord, ExtensionValue, SourceIdentity, Timestamp } from "./record.js";
import {
  ACTOR_MEMBER_TYPES,
  ACTORS_DATASCHEMA,
  ACTORS_TYPE_URL,
  COMPLETED_STATUS_TYPES,
  PROTOBUF_DATA_CONTENT_TYPE,
  SPEC_VERSION,
  WORKFLOW_MEMBER_TYPES,
  WORKFLOWS_DATASCHEMA,
  WORKFLOWS_TYPE_URL,
} from "./types.js";

// The reference: the conversion and encoding as they were before the hand-written scan and
// writer: protobufjs decodes the whole inner event; protobufjs's Writer encodes.
const root = bridgeProtos();
const WorkflowsEvent = root.lookupType(TypeName.WorkflowsEvent);
const ActorsEvent = root.lookupType(TypeName.ActorsEvent);
const statusNames = new Map(
  Object.entries(root.lookupEnum("durabletask.protos.v1.OrchestrationStatus").values).map(([name, n]) => [
    n,
    name.slice(21).toLowerCase(),
  ]),
);

interface Instance {
  instanceId?: string;
}
interface Traced {
  parentTraceContext?: { traceParent?: string; traceState?: { value?: string } | null } | null;
}
interface ReferenceWorkflow {
  metadata?: { instanceId?: string; name?: string; runtimeStatus?: number } | null;
  event_type?: string;
  execution_started?: (Traced & { name?: string; workflowInstance?: Instance | null }) | null;
  execution_completed?: { workflowStatus?: number } | null;
  execution_failed?: { orchestration_instance?: Instance | null } | null;
  execution_canceled?: { orchestration_instance?: Instance | null } | null;
  [member: string]: unknown;
}

const undecodable = (message: string): BridgeError => new BridgeError(ErrorCode.Undecodable, message);
const nonEmpty = (value: string | undefined): value is string => value !== undefined && value !== "";
const segment = (value: string | undefined): string => encodeURIComponent(nonEmpty(value) ? value : "unknown");

function decodeInner(type: protobuf.Type, bytes: Uint8Array): unknown {
  try {
    return type.decode(bytes);
  } catch (error) {
    throw undecodable(`${type.name} is malformed: ${String(error)}`);
  }
}

function referenceConvert(frame: Uint8Array, identity: SourceIdentity, id: string): CloudEventRecord {
  const { time, member: family, bytes } = parseAnyFrame(frame);
  const prefix = `/dapr/${encodeURIComponent(identity.namespace)}/${encodeURIComponent(identity.appId)}`;
  const common: Pick<CloudEventRecord, "id" | "specversion"> = { id, specversion: SPEC_VERSION };
  if (family === "actor") {
    const event = decodeInner(ActorsEvent, bytes) as Record<
      string,
      { actor?: { type?: string; id?: string } | null } | string | undefined
    >;
    const member = event["event_type"] as string | undefined;
    const type = member === undefined ? undefined : ACTOR_MEMBER_TYPES.get(member);
    if (member === undefined || type === undefined) throw undecodable("no member");
    const value = event[member];
    const actor = typeof value === "object" ? value.actor : undefined;
    if (actor === null || actor === undefined) throw undecodable("no actor");
    const actorType = nonEmpty(actor.type) ? actor.type : "unknown";
    const actorId = actor.id ?? "";
    return {
      ...common,
      source: `${prefix}/actors/${encodeURIComponent(actorType)}`,
      type,
      ...(actorId === "" ? {} : { subject: actorId }),
      ...(time === undefined ? {} : { time }),
      datacontenttype: PROTOBUF_DATA_CONTENT_TYPE,
      dataschema: ACTORS_DATASCHEMA,
      extensions: {
        partitionkey: `${actorType}/${actorId}`,
        daprappid: identity.appId,
        daprnamespace: identity.namespace,
      },
      data: { kind: "proto", typeUrl: ACTORS_TYPE_URL, value: bytes },
    };
  }
  const event = decodeInner(WorkflowsEvent, bytes) as ReferenceWorkflow;
  const member = event.event_type;
  let type: string | undefined = member === undefined ? undefined : WORKFLOW_MEMBER_TYPES.get(member);
  if (type === undefined) throw undecodable("no member");
  if (member === "execution_completed") {
    type = COMPLETED_STATUS_TYPES.get(event.execution_completed?.workflowStatus ?? 0) ?? "io.dapr.workflows.completed";
  }
  const metadata = event.metadata ?? undefined;
  const started = event.execution_started ?? undefined;
  const instanceId = nonEmpty(metadata?.instanceId)
    ? metadata.instanceId
    : (started?.workflowInstance?.instanceId ??
      event.execution_failed?.orchestration_instance?.instanceId ??
      event.execution_canceled?.orchestration_instance?.instanceId);
  const name = nonEmpty(metadata?.name) ? metadata.name : started?.name;
  const extensions: Record<string, ExtensionValue> = {
    partitionkey: nonEmpty(instanceId) ? instanceId : "unknown",
    daprappid: identity.appId,
    daprnamespace: identity.namespace,
  };
  if (metadata !== undefined) extensions["workflowstatus"] = statusNames.get(metadata.runtimeStatus ?? 0) ?? "unknown";
  if (member === "execution_started" || member === "task_scheduled" || member === "sub_orchestration_created") {
    const context = (event[member] as Traced | null | undefined)?.parentTraceContext;
    if (context !== null && context !== undefined) {
      if (nonEmpty(context.traceParent)) extensions["traceparent"] = context.traceParent;
      const state = context.traceState?.value;
      if (nonEmpty(state)) extensions["tracestate"] = state;
    }
  }
  return {
    ...common,
    source: `${prefix}/workflows/${segment(name)}`,
    type,
    ...(nonEmpty(instanceId) ? { subject: instanceId } : {}),
    ...(time === undefined ? {} : { time }),
    datacontenttype: PROTOBUF_DATA_CONTENT_TYPE,
    dataschema: WORKFLOWS_DATASCHEMA,
    extensions,
    data: { kind: "proto", typeUrl: WORKFLOWS_TYPE_URL, value: bytes },
  };
}

function referenceAttribute(writer: protobuf.Writer, key: string, value: ExtensionValue, uri = false): void {
  writer.uint32(42).fork().uint32(10).string(key).uint32(18).fork();
  if (typeof value === "string") writer.uint32(uri ? 42 : 26).string(value);
  else if (typeof value === "boolean") writer.uint32(8).bool(value);
  else if (typeof value === "number") {
    if (Number.isInteger(value) && value >= -2_147_483_648 && value <= 2_147_483_647) writer.uint32(16).int32(value);
    else writer.uint32(26).string(String(value));
  } else {
    const time: Timestamp = value;
    writer.uint32(58).fork();
    if (time.seconds !== 0) writer.uint32(8).int64(time.seconds);
    if (time.nanos !== 0) writer.uint32(16).int32(time.nanos);
    writer.ldelim();
  }
  writer.ldelim().ldelim();
}

function referenceEncode(record: CloudEventRecord): Uint8Array {
  const writer = protobuf.Writer.create();
  writer
    .uint32(10)
    .string(record.id)
    .uint32(18)
    .string(record.source)
    .uint32(26)
    .string(record.specversion)
    .uint32(34)
    .string(record.type);
  if (record.subject !== undefined) referenceAttribute(writer, "subject", record.subject);
  if (record.time !== undefined) referenceAttribute(writer, "time", record.time);
  if (record.datacontenttype !== undefined) referenceAttribute(writer, "datacontenttype", record.datacontenttype);
  if (record.dataschema !== undefined) referenceAttribute(writer, "dataschema", record.dataschema, true);
  for (const [key, value] of Object.entries(record.extensions)) referenceAttribute(writer, key, value);
  const data = record.data;
  if (data.kind === "proto")
    writer.uint32(66).fork().uint32(10).string(data.typeUrl).uint32(18).bytes(data.value).ldelim();
  else writer.uint32(50).bytes(data.value);
  return writer.finish();
}

const identity: SourceIdentity = { appId: "orders", namespace: "prod" };
const ID = "0190f2a4-7b1c-7def-8abc-0123456789ab";

/** A conversion's result, its byte arrays as hex: vitest compares strings much faster than Buffers. */
type Outcome = { record: unknown; bytes: string } | { undecodable: true };

function outcome(
  convert: typeof convertFrame,
  encode: (record: CloudEventRecord) => Uint8Array,
  frame: Uint8Array,
): Outcome {
  let record: CloudEventRecord;
  try {
    record = convert(frame, identity, ID);
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe(ErrorCode.Undecodable);
    return { undecodable: true };
  }
  const data = { ...record.data, value: Buffer.from(record.data.value).toString("hex") };
  return { record: { ...record, data }, bytes: Buffer.from(encode(record)).toString("hex") };
}

/** Converts and encodes a frame both ways, as a Buffer and as a plain Uint8Array, and compares. */
function expectSameAsReference(frame: Uint8Array): Outcome {
  let result: Outcome | undefined;
  for (const input of [Buffer.from(frame), new Uint8Array(frame)]) {
    const actual = outcome(convertFrame, encodeProtobuf, input);
    expect(actual).toEqual(outcome(referenceConvert, referenceEncode, input));
    result ??= actual;
  }
  return result as Outcome;
}

/** A small deterministic generator (mulberry32), so a failure replays. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function frameAround(member: 1 | 2, inner: Uint8Array): Uint8Array {
  return protobuf.Writer.create()
    .uint32(18)
    .fork()
    .uint32((member << 3) | 2)
    .bytes(inner)
    .ldelim()
    .finish();
}

describe("convertFrame and encodeProtobuf against the protobufjs reference", () => {
  it("agree on every event of generated streams", () => {
    for (const seed of [1, 2]) {
      for (const event of takeEvents(1500, { seed })) {
        const result = expectSameAsReference(event.bytes);
        expect(result).toHaveProperty("record");
      }
    }
  });

  it("agree on every kind, traced or not, and every completion status", () => {
    const frames = [
      ...WORKFLOW_KINDS.flatMap((kind) => [true, false].map((traced) => makeEvent(kind, { traced }).bytes)),
      ...ACTOR_KINDS.map((kind) => makeEvent(kind).bytes),
      ...ACTOR_KINDS.map((kind) => makeEvent(kind, { actorType: "", actorId: "" }).bytes),
      ...COMPLETION_STATUSES.map((completionStatus) => makeEvent("execution_completed", { completionStatus }).bytes),
      makeEvent("execution_started", { instanceId: "", workflowName: "" }).bytes,
      makeEvent("activated", { actorType: "Cart Actor/é", actorId: "ü 1" }).bytes,
      makeEvent("execution_started", { timeMs: 0 }).bytes,
      makeEvent("execution_started", { parentAppId: "order-app" }).bytes,
      makeEvent("execution_started", { parentAppId: "order-app", traced: false }).bytes,
    ];
    for (const frame of frames) expect(expectSameAsReference(frame)).toHaveProperty("record");
  });

  it("agree on mutated frames: both reject, or both give the same record and bytes", () => {
    const next = random(42);
    const bases = takeEvents(300, { seed: 9 }).map((event) => event.bytes);
    let rejected = 0;
    for (let round = 0; round < 3000; round++) {
      const base = bases[Math.floor(next() * bases.length)] ?? new Uint8Array();
      const bytes = [...base];
      const edits = 1 + Math.floor(next() * 3);
      for (let edit = 0; edit < edits; edit++) {
        const at = Math.floor(next() * (bytes.length + 1));
        const choice = next();
        if (choice < 0.4) bytes[at] = Math.floor(next() * 256);
        else if (choice < 0.6) bytes.splice(at, 1);
        else if (choice < 0.8) bytes.splice(at, 0, Math.floor(next() * 256));
        else bytes.length = at;
      }
      if ("undecodable" in expectSameAsReference(new Uint8Array(bytes))) rejected++;
    }
    // The mutations must reach both outcomes for the comparison to mean anything.
    expect(rejected).toBeGreaterThan(300);
    expect(rejected).toBeLessThan(2900);
  });

  it("agree when oneof members, metadata and nested messages repeat", () => {
    const encode = (type: protobuf.Type, object: Record<string, unknown>): Uint8Array =>
      type.encode(type.fromObject(object)).finish();
    const started = encode(WorkflowsEvent, {
      metadata: { instanceId: "a", name: "First", runtimeStatus: 1 },
      execution_started: {
        name: "S",
        workflowInstance: { instanceId: "s-1" },
        parentTraceContext: { traceParent: "tp-1" },
      },
    });
    const scheduled = encode(WorkflowsEvent, {
      metadata: { name: "Second" },
      task_scheduled: { name: "T", parentTraceContext: { traceParent: "tp-2", traceState: { value: "k=v" } } },
    });
    const failed = encode(WorkflowsEvent, { execution_failed: { orchestration_instance: { instanceId: "f-1" } } });
    const startedAgain = encode(WorkflowsEvent, { execution_started: { name: "S2" } });
    const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(parts.flatMap((part) => [...part]));
    for (const inner of [
      cat(started, scheduled),
      cat(scheduled, started),
      cat(started, scheduled, startedAgain),
      cat(failed, startedAgain),
      cat(startedAgain, failed),
      cat(scheduled, failed, scheduled),
    ]) {
      expect(expectSameAsReference(frameAround(1, inner))).toHaveProperty("record");
    }
    const actor = (member: string, type: string): Uint8Array =>
      encode(ActorsEvent, { [member]: { actor: { type, id: type } } });
    for (const inner of [
      cat(actor("activated", "A"), actor("invoked", "B")),
      cat(actor("activated", "A"), actor("invoked", "B"), actor("activated", "C")),
    ]) {
      expect(expectSameAsReference(frameAround(2, inner))).toHaveProperty("record");
    }
    // The member repeated without its actor replaces the one with it: both reject.
    const replaced = cat(actor("invoked", "B"), encode(ActorsEvent, { invoked: { method_name: "m" } }));
    expect(expectSameAsReference(frameAround(2, replaced))).toEqual({ undecodable: true });
  });

  it("encode extension values of every kind to the same bytes", () => {
    const record = (extensions: Record<string, ExtensionValue>, data: CloudEventRecord["data"]): CloudEventRecord => ({
      id: "",
      source: "/s/é/" + "x".repeat(60),
      specversion: "1.0",
      type: "t\uD800",
      subject: "lone \uDC00 surrogate and a long tail " + "y".repeat(20) + "\uD83D",
      time: { seconds: -62_135_596_800, nanos: 999_999_999 },
      extensions,
      data,
    });
    const values: Record<string, ExtensionValue> = {
      empty: "",
      short: "é",
      long: "ü".repeat(300),
      yes: true,
      no: false,
      zero: 0,
      negative: -5,
      min: -2_147_483_648,
      max: 2_147_483_647,
      big: 2 ** 40,
      fraction: 0.5,
      nan: Number.NaN,
      epoch: { seconds: 0, nanos: 0 },
      future: { seconds: 253_402_300_799, nanos: 1 },
      negativeNanos: { seconds: 1, nanos: -1 },
      huge: { seconds: 2 ** 60, nanos: 2 ** 33 },
      daprappid: "orders",
      workflowstatus: "é long recurring value".repeat(8),
    };
    for (const data of [
      { kind: "binary", value: new Uint8Array(200).fill(7) },
      { kind: "proto", typeUrl: "type.googleapis.com/x", value: new Uint8Array() },
    ] as const) {
      const encoded = record(values, data);
      expect(Buffer.from(encodeProtobuf(encoded))).toEqual(Buffer.from(referenceEncode(encoded)));
    }
    const entries = protobuf.Writer.create();
    for (const [key, value] of Object.entries(values)) referenceAttribute(entries, key, value);
    expect(Buffer.from(encodeAttributeEntries(values))).toEqual(Buffer.from(entries.finish()));
  });
});
