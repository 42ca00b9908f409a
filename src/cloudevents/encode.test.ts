import { CloudEvent, HTTP } from "cloudevents";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { bridgeProtos, TypeName } from "../proto/protos.js";
import { convertFrame, undecodableRecord } from "./convert.js";
import { withDeadLetter } from "./dead-letter-extensions.js";
import { encodeJson } from "./encode-json.js";
import { encodeProtobuf } from "./encode-protobuf.js";
import { contentTypeFor, isRawPayload, publishMetadata } from "./publish-format.js";
import { ACTOR_KINDS, WORKFLOW_KINDS } from "../devtools/sequences-kinds.js";
import { makeEvent } from "../devtools/sequences.js";
import type { CloudEventRecord } from "./record.js";

const root = bridgeProtos();
const EventRequest = root.lookupType(TypeName.EventRequest);
const WorkflowsEvent = root.lookupType(TypeName.WorkflowsEvent);
// The independent decoder: protobufjs reflection of the format's .proto.
const CloudEventType = root.lookupType(TypeName.CloudEvent);
const identity = { appId: "orders", namespace: "prod" };
const ID = "0190f2a4-7b1c-7def-8abc-0123456789ab";
const WF_TYPE_URL = "type.googleapis.com/dapr.proto.events.v1alpha1.WorkflowsEvent";
const WF_SCHEMA = `https://${WF_TYPE_URL}`;

interface DecodedAttribute {
  readonly attr: string;
  readonly [member: string]: unknown;
}
interface DecodedCloudEvent {
  readonly id: string;
  readonly source: string;
  readonly spec_version: string;
  readonly type: string;
  readonly attributes: Readonly<Record<string, DecodedAttribute>>;
  readonly data?: string;
  readonly proto_data?: { readonly type_url: string; readonly value: Uint8Array };
  readonly binary_data?: Uint8Array;
}

function decodeCloudEvent(bytes: Uint8Array): DecodedCloudEvent {
  const message = CloudEventType.decode(bytes);
  return CloudEventType.toObject(message, {
    longs: Number,
    oneofs: true,
    bytes: Array,
  }) as unknown as DecodedCloudEvent & {
    proto_data?: { type_url: string; value: number[] };
  };
}

function startedRecord(): { record: CloudEventRecord; inner: Uint8Array } {
  const inner = WorkflowsEvent.encode(
    WorkflowsEvent.fromObject({
      metadata: {
        instanceId: "wf-1",
        name: "OrderWorkflow",
        runtimeStatus: 7,
        createdAt: { seconds: 1_700_000_000, nanos: 500 },
      },
      execution_started: {
        name: "OrderWorkflow",
        input: { value: '{"qty":2}' },
        workflowInstance: { instanceId: "wf-1", executionId: { value: "" } },
        parentTraceContext: { traceParent: "00-aa-bb-01", traceState: { value: "k=v" } },
        tags: { team: "payments" },
      },
    }),
  ).finish();
  const frame = EventRequest.encode(
    EventRequest.fromObject({
      time: { seconds: 1_700_000_000, nanos: 123_456_000 },
      event: { workflow: WorkflowsEvent.decode(inner) },
    }),
  ).finish();
  return { record: convertFrame(frame, identity, ID), inner };
}

const EXPECTED_EXTENSIONS = {
  partitionkey: "wf-1",
  daprappid: "orders",
  daprnamespace: "prod",
  workflowstatus: "suspended",
  traceparent: "00-aa-bb-01",
  tracestate: "k=v",
};

describe("encodeProtobuf", () => {
  it("writes every attribute where the format puts it, read back by reflection", () => {
    const { record, inner } = startedRecord();
    const event = decodeCloudEvent(encodeProtobuf(record));
    expect(event.id).toBe(ID);
    expect(event.source).toBe("/dapr/prod/orders/workflows/OrderWorkflow");
    expect(event.spec_version).toBe("1.0");
    expect(event.type).toBe("io.dapr.workflows.started");
    expect(event.attributes).toEqual({
      subject: { attr: "ce_string", ce_string: "wf-1" },
      time: { attr: "ce_timestamp", ce_timestamp: { seconds: 1_700_000_000, nanos: 123_456_000 } },
      datacontenttype: { attr: "ce_string", ce_string: "application/protobuf" },
      dataschema: { attr: "ce_uri", ce_uri: WF_SCHEMA },
      partitionkey: { attr: "ce_string", ce_string: "wf-1" },
      daprappid: { attr: "ce_string", ce_string: "orders" },
      daprnamespace: { attr: "ce_string", ce_string: "prod" },
      workflowstatus: { attr: "ce_string", ce_string: "suspended" },
      traceparent: { attr: "ce_string", ce_string: "00-aa-bb-01" },
      tracestate: { attr: "ce_string", ce_string: "k=v" },
    });
    expect(event.data).toBe("proto_data");
    // The type URL keeps the scheme-less form protobuf libraries unpack; dataschema has the scheme.
    expect(event.proto_data?.type_url).toBe(WF_TYPE_URL);
    expect(event.proto_data?.value).toEqual([...inner]);
  });

  it("writes booleans, integers, other numbers and timestamps with their attribute types", () => {
    const record: CloudEventRecord = {
      id: "1",
      source: "/s",
      specversion: "1.0",
      type: "t",
      extensions: { flag: true, count: -5, big: 2 ** 40, ratio: 0.5, at: { seconds: 0, nanos: 7 } },
      data: { kind: "binary", value: new Uint8Array([1, 2, 3]) },
    };
    const event = decodeCloudEvent(encodeProtobuf(record));
    expect(event.attributes).toEqual({
      flag: { attr: "ce_boolean", ce_boolean: true },
      count: { attr: "ce_integer", ce_integer: -5 },
      big: { attr: "ce_string", ce_string: String(2 ** 40) },
      ratio: { attr: "ce_string", ce_string: "0.5" },
      at: { attr: "ce_timestamp", ce_timestamp: { nanos: 7 } },
    });
    expect(event.data).toBe("binary_data");
    expect(event.binary_data).toEqual([1, 2, 3]);
  });

  it("carries fields unknown to the bridge through to proto_data", () => {
    const known = WorkflowsEvent.encode(
      WorkflowsEvent.fromObject({ metadata: { instanceId: "i" }, execution_resumed: {} }),
    ).finish();
    const unknown = protobuf.Writer.create()
      .uint32((77 << 3) | 2)
      .string("from a newer daprd")
      .finish();
    const inner = Buffer.concat([known, unknown]);
    const frame = protobuf.Writer.create().uint32(18).fork().uint32(10).bytes(inner).ldelim().finish();
    const event = decodeCloudEvent(encodeProtobuf(convertFrame(frame, identity, ID)));
    expect(Buffer.from(event.proto_data?.value ?? []).equals(inner)).toBe(true);
  });
});

describe("encodeJson", () => {
  it("writes a structured CloudEvent the cloudevents SDK accepts, with canonical JSON data", () => {
    const { record } = startedRecord();
    const text = Buffer.from(encodeJson(record)).toString("utf8");
    // Strict: the SDK validates every attribute against the spec's schema (dataschema an absolute URI).
    const event = new CloudEvent<Record<string, unknown>>(JSON.parse(text) as Record<string, unknown>);
    expect(event.validate()).toBe(true);
    const viaHttp = HTTP.toEvent({ headers: { "content-type": "application/cloudevents+json" }, body: text });
    expect(Array.isArray(viaHttp)).toBe(false);
    for (const parsed of [event, viaHttp as CloudEvent<unknown>]) {
      expect(parsed.id).toBe(ID);
      expect(parsed.source).toBe("/dapr/prod/orders/workflows/OrderWorkflow");
      expect(parsed.specversion).toBe("1.0");
      expect(parsed.type).toBe("io.dapr.workflows.started");
      expect(parsed.subject).toBe("wf-1");
      expect(parsed.datacontenttype).toBe("application/json");
      for (const [name, value] of Object.entries({ ...EXPECTED_EXTENSIONS, traceid: "00-aa-bb-01" }))
        expect(parsed[name]).toBe(value);
    }
    expect(event.dataschema).toBe(WF_SCHEMA);
    const raw = JSON.parse(text) as Record<string, unknown>;
    expect(raw.time).toBe("2023-11-14T22:13:20.123456Z");
    expect(raw.data).toEqual({
      metadata: {
        instanceId: "wf-1",
        name: "OrderWorkflow",
        runtimeStatus: "ORCHESTRATION_STATUS_SUSPENDED",
        createdAt: "2023-11-14T22:13:20.000000500Z",
      },
      executionStarted: {
        name: "OrderWorkflow",
        input: '{"qty":2}',
        workflowInstance: { instanceId: "wf-1", executionId: "" },
        parentTraceContext: { traceParent: "00-aa-bb-01", traceState: "k=v" },
        tags: { team: "payments" },
      },
    });
  });

  it("writes traceid equal to traceparent where the event has a trace context, and none otherwise", () => {
    // daprd overwrites traceparent with its publish span unless the envelope has a traceid.
    const { record } = startedRecord();
    const traced = JSON.parse(Buffer.from(encodeJson(record)).toString("utf8")) as Record<string, unknown>;
    expect(traced.traceid).toBe("00-aa-bb-01");
    expect(traced.traceparent).toBe("00-aa-bb-01");
    for (const untraced of [
      makeEvent("execution_started", { traced: false }),
      makeEvent("task_completed"),
      makeEvent("invoked"),
    ]) {
      const json = JSON.parse(
        Buffer.from(encodeJson(convertFrame(untraced.bytes, identity, ID))).toString("utf8"),
      ) as Record<string, unknown>;
      expect(json).not.toHaveProperty("traceparent");
      expect(json).not.toHaveProperty("traceid");
    }
    const generated = makeEvent("task_scheduled", { traced: true });
    const json = JSON.parse(
      Buffer.from(encodeJson(convertFrame(generated.bytes, identity, ID))).toString("utf8"),
    ) as Record<string, unknown>;
    expect(json.traceid).toBe(generated.facts.traceParent);
    // The protobuf format has no traceid: daprd does not read the envelope of a raw payload.
    expect(decodeCloudEvent(encodeProtobuf(record)).attributes).not.toHaveProperty("traceid");
  });

  it("writes undecodable records with data_base64", () => {
    const frame = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
    const error = new BridgeError(ErrorCode.Undecodable, "EventRequest has no field 2 (event)");
    const text = Buffer.from(encodeJson(undecodableRecord(frame, identity, ID, error, 1_700_000_000_000))).toString(
      "utf8",
    );
    const event = new CloudEvent(JSON.parse(text) as Record<string, unknown>);
    expect(event.type).toBe("io.dapr.bridge.undecodable");
    expect(event.source).toBe("/dapr/prod/orders/bridge");
    expect(event.datacontenttype).toBe("application/octet-stream");
    expect(event.deadletterreason).toBe("undecodable");
    expect(event.deadletterattempts).toBe(0);
    expect((JSON.parse(text) as { data_base64: string; time: string }).data_base64).toBe("3q2+7w==");
    expect((JSON.parse(text) as { time: string }).time).toBe("2023-11-14T22:13:20Z");
    expect([...(event.data_base64 === undefined ? [] : Buffer.from(event.data_base64, "base64"))]).toEqual([...frame]);
  });
});

/** A decoded protobuf CloudEvent as the attributes of the SDK's JSON model (timestamps as RFC 3339). */
function sdkAttributes(event: DecodedCloudEvent): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: event.id,
    source: event.source,
    specversion: event.spec_version,
    type: event.type,
  };
  for (const [name, value] of Object.entries(event.attributes)) {
    const member = value[value.attr];
    if (value.attr === "ce_timestamp") {
      const time = member as { seconds?: number; nanos?: number };
      out[name] = new Date((time.seconds ?? 0) * 1000 + Math.floor((time.nanos ?? 0) / 1e6)).toISOString();
    } else out[name] = member;
  }
  return out;
}

describe("strict CloudEvents SDK validation (new CloudEvent, strict by default)", () => {
  const frames = [
    ...WORKFLOW_KINDS.map((kind) => makeEvent(kind).bytes),
    ...ACTOR_KINDS.map((kind) => makeEvent(kind).bytes),
    makeEvent("execution_started", { parentAppId: "order-app" }).bytes,
  ];

  it("accepts every converted event in the JSON format", () => {
    for (const frame of frames) {
      const record = convertFrame(frame, identity, ID);
      const event = new CloudEvent(
        JSON.parse(Buffer.from(encodeJson(record)).toString("utf8")) as Record<string, unknown>,
      );
      expect(event.validate()).toBe(true);
      expect(event.dataschema).toMatch(
        /^https:\/\/type\.googleapis\.com\/dapr\.proto\.events\.v1alpha1\.(Workflows|Actors)Event$/,
      );
    }
  });

  it("accepts the attributes of every converted event in the protobuf format", () => {
    for (const frame of frames) {
      const decoded = decodeCloudEvent(encodeProtobuf(convertFrame(frame, identity, ID)));
      const event = new CloudEvent({
        ...sdkAttributes(decoded),
        data_base64: Buffer.from(decoded.proto_data?.value ?? []).toString("base64"),
      });
      expect(event.validate()).toBe(true);
      expect(decoded.attributes.dataschema?.attr).toBe("ce_uri");
      expect(decoded.proto_data?.type_url).toMatch(/^type\.googleapis\.com\//);
    }
  });
});

describe("withDeadLetter", () => {
  const info = { reason: "max_attempts", error: "é".repeat(3000), attempts: 5 };

  it("adds the three extensions to a protobuf payload, keeping the id and the data", () => {
    const { record, inner } = startedRecord();
    const once = withDeadLetter(encodeProtobuf(record), "protobuf", info);
    const event = decodeCloudEvent(once);
    expect(event.id).toBe(ID);
    expect(event.attributes.deadletterreason).toEqual({ attr: "ce_string", ce_string: "max_attempts" });
    expect(event.attributes.deadlettererror).toEqual({ attr: "ce_string", ce_string: "é".repeat(1024) });
    expect(event.attributes.deadletterattempts).toEqual({ attr: "ce_integer", ce_integer: 5 });
    expect(event.attributes.partitionkey).toEqual({ attr: "ce_string", ce_string: "wf-1" });
    expect(event.proto_data?.value).toEqual([...inner]);
    // Dead-lettering again replaces the values (the last map entry wins).
    const twice = decodeCloudEvent(withDeadLetter(once, "protobuf", { reason: "replayed", error: "e", attempts: 6 }));
    expect(twice.attributes.deadletterreason).toEqual({ attr: "ce_string", ce_string: "replayed" });
    expect(twice.attributes.deadletterattempts).toEqual({ attr: "ce_integer", ce_integer: 6 });
  });

  it("adds the three extensions to a JSON payload, keeping the id and the data", () => {
    const { record } = startedRecord();
    const plain = JSON.parse(Buffer.from(encodeJson(record)).toString("utf8")) as Record<string, unknown>;
    const text = Buffer.from(withDeadLetter(encodeJson(record), "json", info)).toString("utf8");
    const event = new CloudEvent<unknown>(JSON.parse(text) as Record<string, unknown>);
    expect(event.id).toBe(ID);
    expect(event.deadletterreason).toBe("max_attempts");
    expect(event.deadlettererror).toBe("é".repeat(1024));
    expect(event.deadletterattempts).toBe(5);
    expect(event.data).toEqual(plain.data);
  });

  it("rejects a JSON payload that is not a JSON object", () => {
    expect(() => withDeadLetter(Buffer.from("[1]"), "json", info)).toThrow(/not a JSON object/);
    expect(() => withDeadLetter(Buffer.from("{"), "json", info)).toThrow(/not valid JSON/);
  });
});

describe("publish format", () => {
  it("gives the content type and metadata of each format", () => {
    expect(contentTypeFor("protobuf")).toBe("application/cloudevents+protobuf");
    expect(contentTypeFor("json")).toBe("application/cloudevents+json");
    // rawPayload is request-level in daprd: never entry metadata.
    expect(publishMetadata("protobuf", "wf-1")).toEqual({
      partitionKey: "wf-1",
      "content-type": "application/cloudevents+protobuf",
    });
    expect(publishMetadata("json", "wf-1")).toEqual({ partitionKey: "wf-1" });
    expect(isRawPayload("protobuf")).toBe(true);
    expect(isRawPayload("json")).toBe(false);
  });
});
