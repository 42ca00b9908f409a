import { randomUUID } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { CommunicationProtocolEnum, DaprServer, LogLevel } from "@dapr/dapr";
import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { convertFrame, undecodableRecord } from "../src/cloudevents/convert.js";
import { encodeJson } from "../src/cloudevents/encode-json.js";
import { encodeProtobuf } from "../src/cloudevents/encode-protobuf.js";
import type { CloudEventRecord } from "../src/cloudevents/record.js";
import { decodeDelivery, decodeSdkEvent, isUndecodable } from "../src/consumer/index.js";
import type { Delivery } from "../src/consumer/index.js";
import { DevSidecar } from "../src/devtools/dev-sidecar.js";
import { makeEvent } from "../src/devtools/sequences.js";
import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { daprRuntimeProtos } from "../src/proto/protos.js";

// The real @dapr/dapr DaprServer (HTTP and gRPC) receives what daprd 1.18 delivers
// (pkg/runtime/subscription/subscription.go, postman/http, postman/grpc,
// pkg/runtime/pubsub.GRPCEnvelopeFromSubscriptionMessage), built here request by request.

const PUBSUB = "pubsub";
const TOPIC = "dapr-events";
/** The span daprd's publish writes when an envelope has no traceid. */
const DAPR_SPAN = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const identity = { appId: "order-app", namespace: "prod" };

const records: ReadonlyArray<readonly [string, CloudEventRecord]> = [
  [
    "a traced child workflow start with its parent's app id",
    convertFrame(makeEvent("execution_started", { parentAppId: "order-app" }).bytes, identity, randomUUID()),
  ],
  ["a failed workflow", convertFrame(makeEvent("execution_failed", { traced: false }).bytes, identity, randomUUID())],
  ["an actor call", convertFrame(makeEvent("invoked").bytes, identity, randomUUID())],
  [
    "an undecodable frame",
    undecodableRecord(
      new Uint8Array([0xde, 0xad, 0xbe, 0xef, 0xff]),
      identity,
      randomUUID(),
      new BridgeError(ErrorCode.Undecodable, "bad"),
      1_767_225_600_000,
    ),
  ],
];

/** daprd's publish of an application/cloudevents+json payload (components-contrib FromCloudEvent). */
function brokerMessageOfJson(published: Uint8Array): Buffer {
  const envelope = JSON.parse(Buffer.from(published).toString("utf8")) as Record<string, unknown>;
  envelope.topic = TOPIC;
  envelope.pubsubname = PUBSUB;
  if (!("traceid" in envelope)) {
    envelope.traceid = DAPR_SPAN;
    envelope.traceparent = DAPR_SPAN;
  }
  if (!("tracestate" in envelope)) envelope.tracestate = "";
  return Buffer.from(JSON.stringify(envelope), "utf8");
}

/** daprd's envelope around a raw-payload message (components-contrib FromRawPayload). */
function rawPayloadEnvelope(message: Uint8Array): Record<string, unknown> {
  return {
    id: randomUUID(),
    specversion: "1.0",
    datacontenttype: "application/octet-stream",
    source: "Dapr",
    type: "com.dapr.event.sent",
    topic: TOPIC,
    pubsubname: PUBSUB,
    data_base64: Buffer.from(message).toString("base64"),
  };
}

/** What the bridge's extensions become after daprd's publish of the JSON format. */
function afterDaprPublish(expected: Delivery): Delivery {
  const added: Record<string, string> = { topic: TOPIC, pubsubname: PUBSUB };
  if (!("traceid" in expected.extensions)) Object.assign(added, { traceid: DAPR_SPAN, traceparent: DAPR_SPAN });
  if (!("tracestate" in expected.extensions)) added.tracestate = "";
  return { ...expected, extensions: { ...expected.extensions, ...added } };
}

/** Checks a delivery decoded from the SDK's callback argument against the converted record. */
function expectSameEvent(actual: Delivery, record: CloudEventRecord): void {
  expect(actual).toEqual(afterDaprPublish(decodeDelivery(encodeJson(record))));
  const fromProtobuf = decodeDelivery(encodeProtobuf(record));
  if (isUndecodable(actual) && isUndecodable(fromProtobuf)) {
    expect(Buffer.from(actual.data).equals(Buffer.from(record.data.value))).toBe(true);
  } else {
    // The same event, field for field, as the protobuf format's bytes decode to.
    expect("event" in actual ? actual.event : undefined).toEqual("event" in fromProtobuf ? fromProtobuf.event : null);
  }
  if (record.extensions.traceparent !== undefined)
    expect(actual.extensions.traceparent).toBe(record.extensions.traceparent);
}

function expectAdvice(data: unknown): void {
  expect(() => decodeSdkEvent(data)).toThrow(/rawPayload: true/);
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The path the SDK declares for a route, which daprd posts to (HTTP) or sends as `path` (gRPC). */
const RAW_PATH = `${PUBSUB}--${TOPIC}--raw`;
const PLAIN_PATH = `${PUBSUB}--${TOPIC}-plain--plain`;

/** A DaprServer subscribed to the topic twice: raw payload on one route, plain on the other. Collects callback data. */
async function sdkServer(
  protocol: CommunicationProtocolEnum,
  sidecarPort: number,
): Promise<{ port: number; received: unknown[] }> {
  const port = await freePort();
  const server = new DaprServer({
    serverHost: "127.0.0.1",
    serverPort: String(port),
    communicationProtocol: protocol,
    clientOptions: { daprHost: "127.0.0.1", daprPort: String(sidecarPort), communicationProtocol: protocol },
    logger: { level: LogLevel.Error },
  });
  const received: unknown[] = [];
  const collect = async (data: unknown): Promise<void> => {
    received.push(data);
    return Promise.resolve();
  };
  // A boolean: the SDK JSON-encodes each metadata value, and daprd parses "true" but not "\"true\"".
  await server.pubsub.subscribe(PUBSUB, TOPIC, collect, "raw", { rawPayload: true });
  await server.pubsub.subscribe(PUBSUB, `${TOPIC}-plain`, collect, "plain");
  await server.start();
  cleanups.push(async () => {
    await server.stop();
    await server.client.stop();
  });
  return { port, received };
}

describe("decodeSdkEvent with @dapr/dapr's HTTP DaprServer", () => {
  async function httpSidecar(): Promise<number> {
    // The SDK's client waits for GET /v1.0/metadata before the server's start resolves.
    const sidecar = http.createServer((_req, res) =>
      res.writeHead(200, { "content-type": "application/json" }).end("{}"),
    );
    await new Promise<void>((resolve) => sidecar.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => sidecar.close(() => resolve())));
    return (sidecar.address() as net.AddressInfo).port;
  }

  async function post(port: number, path: string, body: string): Promise<unknown> {
    // daprd: POST, content type application/cloudevents+json, broker metadata as headers.
    const response = await fetch(`http://127.0.0.1:${port}/${path}`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json", pubsubName: PUBSUB },
      body,
    });
    return response.json();
  }

  it("declares the raw-payload subscription as daprd reads it, and decodes the json format delivered through it", async () => {
    const { port, received } = await sdkServer(CommunicationProtocolEnum.HTTP, await httpSidecar());
    const subscriptions = (await (await fetch(`http://127.0.0.1:${port}/dapr/subscribe`)).json()) as Array<
      Record<string, unknown>
    >;
    expect(subscriptions.find((s) => s.topic === TOPIC)).toEqual({
      pubsubname: PUBSUB,
      topic: TOPIC,
      route: `/${RAW_PATH}`,
      metadata: { rawPayload: "true" },
    });
    for (const [, record] of records) {
      const body = JSON.stringify(rawPayloadEnvelope(brokerMessageOfJson(encodeJson(record))));
      expect(await post(port, RAW_PATH, body)).toEqual({ status: "SUCCESS" });
    }
    expect(received).toHaveLength(records.length);
    records.forEach(([, record], i) => expectSameEvent(decodeSdkEvent(received[i]), record));
  });

  it("rejects, with the advice, the protobuf format (bytes turned to text) and json without rawPayload (envelope stripped)", async () => {
    const { port, received } = await sdkServer(CommunicationProtocolEnum.HTTP, await httpSidecar());
    const [, record] = records[0] ?? [];
    if (record === undefined) throw new Error("no record");
    const protobuf = encodeProtobuf(record);
    await post(port, RAW_PATH, JSON.stringify(rawPayloadEnvelope(protobuf)));
    await post(port, PLAIN_PATH, brokerMessageOfJson(encodeJson(record)).toString("utf8"));
    const [text, dataOnly] = received;
    expect(typeof text).toBe("string");
    expect(Buffer.from(text as string, "utf8").equals(Buffer.from(protobuf))).toBe(false);
    expectAdvice(text);
    expect(dataOnly).toEqual((JSON.parse(Buffer.from(encodeJson(record)).toString("utf8")) as { data: unknown }).data);
    expectAdvice(dataOnly);
  });
});

describe("decodeSdkEvent with @dapr/dapr's gRPC DaprServer", () => {
  const runtime = daprRuntimeProtos();
  const TopicEventRequest = runtime.lookupType("dapr.proto.runtime.v1.TopicEventRequest");
  const TopicEventResponse = runtime.lookupType("dapr.proto.runtime.v1.TopicEventResponse");
  const ListTopicSubscriptionsResponse = runtime.lookupType("dapr.proto.runtime.v1.ListTopicSubscriptionsResponse");

  async function grpcSidecar(): Promise<number> {
    const sidecar = new DevSidecar({ listen: "127.0.0.1:0" });
    const { address } = await sidecar.start();
    cleanups.push(() => sidecar.close());
    return Number(address.slice(address.lastIndexOf(":") + 1));
  }

  function appClient(port: number): grpc.Client {
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(() => Promise.resolve(client.close()));
    return client;
  }

  function unary(client: grpc.Client, method: string, request: Uint8Array, metadata: grpc.Metadata): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest(
        `/dapr.proto.runtime.v1.AppCallback/${method}`,
        (bytes: Uint8Array) => Buffer.from(bytes),
        (bytes: Buffer) => bytes,
        request,
        metadata,
        (error, response) =>
          error !== null || response === undefined ? reject(error ?? new Error("no response")) : resolve(response),
      );
    });
  }

  /** daprd's OnTopicEvent: raw payload → the message bytes as `data`, octet-stream; else the CloudEvent's `data` re-marshalled. */
  async function deliver(
    client: grpc.Client,
    path: string,
    raw: boolean,
    message: Uint8Array,
    topic: string,
  ): Promise<number> {
    let fields: Record<string, unknown>;
    if (raw) {
      const envelope = rawPayloadEnvelope(message);
      fields = {
        id: envelope.id,
        source: "Dapr",
        type: "com.dapr.event.sent",
        spec_version: "1.0",
        data_content_type: "application/octet-stream",
        data: message,
      };
    } else {
      const event = JSON.parse(Buffer.from(message).toString("utf8")) as Record<string, unknown>;
      fields = {
        id: event.id,
        source: event.source,
        type: event.type,
        spec_version: event.specversion,
        data_content_type: event.datacontenttype,
        data: Buffer.from(JSON.stringify(event.data), "utf8"),
      };
    }
    const request = TopicEventRequest.encode(
      TopicEventRequest.fromObject({
        ...fields,
        topic,
        pubsub_name: PUBSUB,
        path,
        extensions: { fields: { topic: { string_value: topic }, pubsubname: { string_value: PUBSUB } } },
      }),
    ).finish();
    const metadata = new grpc.Metadata();
    metadata.set("pubsubname", PUBSUB);
    const response = TopicEventResponse.toObject(
      TopicEventResponse.decode(await unary(client, "OnTopicEvent", request, metadata)),
      { enums: Number },
    );
    return (response as { status?: number }).status ?? 0;
  }

  it("declares the raw-payload subscription as daprd reads it, and decodes the json format delivered through it", async () => {
    const { port, received } = await sdkServer(CommunicationProtocolEnum.GRPC, await grpcSidecar());
    const client = appClient(port);
    const listed = ListTopicSubscriptionsResponse.toObject(
      ListTopicSubscriptionsResponse.decode(
        await unary(client, "ListTopicSubscriptions", new Uint8Array(), new grpc.Metadata()),
      ),
    ) as { subscriptions: Array<{ topic: string; metadata?: Record<string, string> }> };
    expect(listed.subscriptions.find((s) => s.topic === TOPIC)?.metadata).toEqual({ rawPayload: "true" });
    for (const [, record] of records) {
      expect(await deliver(client, RAW_PATH, true, brokerMessageOfJson(encodeJson(record)), TOPIC)).toBe(0); // SUCCESS
    }
    expect(received).toHaveLength(records.length);
    records.forEach(([, record], i) => expectSameEvent(decodeSdkEvent(received[i]), record));
  });

  it("rejects, with the advice, the protobuf format (bytes turned to text) and json without rawPayload (envelope stripped)", async () => {
    const { port, received } = await sdkServer(CommunicationProtocolEnum.GRPC, await grpcSidecar());
    const client = appClient(port);
    const [, record] = records[0] ?? [];
    if (record === undefined) throw new Error("no record");
    const protobuf = encodeProtobuf(record);
    await deliver(client, RAW_PATH, true, protobuf, TOPIC);
    await deliver(client, PLAIN_PATH, false, brokerMessageOfJson(encodeJson(record)), `${TOPIC}-plain`);
    const [text, dataOnly] = received;
    expect(typeof text).toBe("string");
    expect(Buffer.from(text as string, "utf8").equals(Buffer.from(protobuf))).toBe(false);
    expectAdvice(text);
    expect(dataOnly).toEqual((JSON.parse(Buffer.from(encodeJson(record)).toString("utf8")) as { data: unknown }).data);
    expectAdvice(dataOnly);
  });
});
