import { describe, expect, it } from "vitest";
import { convertFrame, undecodableRecord } from "../cloudevents/convert.js";
import { withDeadLetter } from "../cloudevents/dead-letter-extensions.js";
import { encodeJson } from "../cloudevents/encode-json.js";
import { encodeProtobuf } from "../cloudevents/encode-protobuf.js";
import type { CloudEventRecord } from "../cloudevents/record.js";
import { bridgeProtos, TypeName } from "../proto/protos.js";
import { BridgeError, decodeDelivery, ErrorCode, isActorEvent, isUndecodable, isWorkflowEvent } from "./index.js";
import type { Delivery } from "./index.js";

const root = bridgeProtos();
const EventRequest = root.lookupType(TypeName.EventRequest);
const identity = { appId: "orders", namespace: "prod" };
const time = { seconds: 1_700_000_000, nanos: 5_000_000 };

function frame(event: Record<string, unknown>): Uint8Array {
  return EventRequest.encode(EventRequest.fromObject({ time, event })).finish();
}

const failedRecord = convertFrame(
  frame({
    workflow: {
      metadata: { instanceId: "wf-1", name: "OrderWorkflow", runtimeStatus: 3, createdAt: { seconds: 1_700_000_000 } },
      execution_completed: { workflowStatus: 3, failureDetails: { errorType: "Boom", errorMessage: "card declined" } },
    },
  }),
  identity,
  "id-wf",
);
const invokedRecord = convertFrame(
  frame({ actor: { invoked: { actor: { type: "Cart", id: "c-7" }, method_name: "Add", caller_id: "w1" } } }),
  identity,
  "id-actor",
);
const undecodable = undecodableRecord(
  new Uint8Array([0xde, 0xad]),
  identity,
  "id-bad",
  new BridgeError(ErrorCode.Undecodable, "EventRequest has no field 2 (event)"),
  1_700_000_000_000,
);

/** Dapr's envelope for a raw-payload subscription, around the protobuf bytes. */
function daprEnvelope(bytes: Uint8Array, member: "data_base64" | "data"): Record<string, unknown> {
  return {
    specversion: "1.0",
    id: "dapr-generated",
    source: "bridge",
    type: "com.dapr.event.sent",
    datacontenttype: "application/octet-stream",
    topic: "workflows",
    pubsubname: "pubsub",
    [member]: Buffer.from(bytes).toString("base64"),
  };
}

/** Every shape a subscriber can receive for one record. */
function shapes(record: CloudEventRecord): ReadonlyArray<[string, Uint8Array | string | object, Delivery["shape"]]> {
  const proto = encodeProtobuf(record);
  const json = encodeJson(record);
  const jsonText = Buffer.from(json).toString("utf8");
  return [
    ["protobuf bytes", proto, "protobuf"],
    ["Dapr envelope object (data_base64)", daprEnvelope(proto, "data_base64"), "dapr-envelope"],
    ["Dapr envelope object (base64 data)", daprEnvelope(proto, "data"), "dapr-envelope"],
    ["Dapr envelope text", JSON.stringify(daprEnvelope(proto, "data_base64")), "dapr-envelope"],
    [
      "Dapr envelope UTF-8 bytes",
      Buffer.from(` ${JSON.stringify(daprEnvelope(proto, "data_base64"))}`),
      "dapr-envelope",
    ],
    ["structured JSON bytes", json, "json"],
    ["structured JSON text", jsonText, "json"],
    ["structured JSON object", JSON.parse(jsonText) as object, "json"],
  ];
}

describe("decodeDelivery", () => {
  it.each(shapes(failedRecord))("decodes a workflow event from %s", (_name, input, shape) => {
    const delivery = decodeDelivery(input);
    expect(delivery.shape).toBe(shape);
    expect(isWorkflowEvent(delivery)).toBe(true);
    expect(isActorEvent(delivery)).toBe(false);
    if (delivery.type !== "io.dapr.workflows.failed") throw new Error(`unexpected type ${delivery.type}`);
    // Narrowed by the type: `event` is a WorkflowsEvent.
    expect(delivery.event.executionCompleted?.failureDetails?.errorMessage).toBe("card declined");
    expect(delivery.event).toEqual({
      metadata: {
        instanceId: "wf-1",
        name: "OrderWorkflow",
        runtimeStatus: "ORCHESTRATION_STATUS_FAILED",
        createdAt: "2023-11-14T22:13:20Z",
      },
      executionCompleted: {
        workflowStatus: "ORCHESTRATION_STATUS_FAILED",
        failureDetails: { errorType: "Boom", errorMessage: "card declined" },
      },
    });
    expect(delivery.id).toBe("id-wf");
    expect(delivery.source).toBe("/dapr/prod/orders/workflows/OrderWorkflow");
    expect(delivery.specversion).toBe("1.0");
    expect(delivery.subject).toBe("wf-1");
    expect(delivery.time).toBe("2023-11-14T22:13:20.005Z");
    expect(delivery.dataschema).toBe("https://type.googleapis.com/dapr.proto.events.v1alpha1.WorkflowsEvent");
    expect(delivery.datacontenttype).toBe(shape === "json" ? "application/json" : "application/protobuf");
    expect(delivery.extensions).toMatchObject({
      partitionkey: "wf-1",
      daprappid: "orders",
      daprnamespace: "prod",
      workflowstatus: "failed",
    });
  });

  it.each(shapes(invokedRecord))("decodes an actor event from %s", (_name, input) => {
    const delivery = decodeDelivery(input);
    if (!isActorEvent(delivery)) throw new Error(`not an actor event: ${delivery.type}`);
    expect(delivery.type).toBe("io.dapr.actors.invoked");
    expect(delivery.event).toEqual({
      invoked: { actor: { type: "Cart", id: "c-7" }, methodName: "Add", callerId: "w1" },
    });
    expect(delivery.subject).toBe("c-7");
    expect(delivery.extensions.partitionkey).toBe("Cart/c-7");
  });

  it.each(shapes(undecodable))("decodes an undecodable record from %s", (_name, input) => {
    const delivery = decodeDelivery(input);
    if (!isUndecodable(delivery)) throw new Error(`not undecodable: ${delivery.type}`);
    expect([...delivery.data]).toEqual([0xde, 0xad]);
    expect(delivery.source).toBe("/dapr/prod/orders/bridge");
    expect(delivery.extensions).toMatchObject({
      deadletterreason: "undecodable",
      deadletterattempts: 0,
      partitionkey: "undecodable",
    });
  });

  it("reads the dead-letter extensions of both formats", () => {
    const info = { reason: "max_attempts", error: "rejected by broker", attempts: 3 };
    for (const payload of [
      withDeadLetter(encodeProtobuf(failedRecord), "protobuf", info),
      withDeadLetter(encodeJson(failedRecord), "json", info),
    ]) {
      const delivery = decodeDelivery(payload);
      expect(delivery.id).toBe("id-wf");
      expect(delivery.extensions).toMatchObject({
        deadletterreason: "max_attempts",
        deadlettererror: "rejected by broker",
        deadletterattempts: 3,
      });
    }
  });

  it("says which shape it tried and what failed", () => {
    const fail = (input: Uint8Array | string | object): string => {
      try {
        decodeDelivery(input);
      } catch (error) {
        expect(error).toBeInstanceOf(BridgeError);
        expect((error as BridgeError).code).toBe(ErrorCode.Undecodable);
        return (error as BridgeError).message;
      }
      throw new Error("decodeDelivery accepted bad input");
    };
    expect(fail(new Uint8Array([0xff, 0xff, 0xff]))).toMatch(
      /tried raw protobuf CloudEvent bytes: the bytes are not a CloudEvent/,
    );
    expect(fail(new Uint8Array())).toMatch(/tried raw protobuf CloudEvent bytes: the CloudEvent lacks/);
    expect(fail("{not json")).toMatch(/tried a JSON CloudEvent: the text is not JSON/);
    expect(fail({ type: "com.example", data: { a: 1 } })).toMatch(
      /tried a Dapr envelope .* neither data_base64 nor base64 data/,
    );
    const structured = JSON.parse(Buffer.from(encodeJson(failedRecord)).toString("utf8")) as Record<string, unknown>;
    expect(fail({ ...structured, data: [1] })).toMatch(
      /tried a structured JSON CloudEvent from the bridge: the data of a io.dapr.workflows.failed event is not an event object/,
    );
    const foreign = { id: "x", source: "/s", spec_version: "1.0", type: "io.other.thing", attributes: {} };
    const CloudEvent = root.lookupType(TypeName.CloudEvent);
    expect(fail(CloudEvent.encode(CloudEvent.fromObject(foreign)).finish())).toMatch(
      /type "io.other.thing" is not one the bridge emits/,
    );
  });
});
