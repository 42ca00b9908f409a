import { afterAll, afterEach, expect, it } from "vitest";
import { emit } from "../../src/devtools/emitter.js";
import { waitFor, stopAllProcesses } from "../../src/devtools/local-processes.js";
import { DAPR_LINES } from "../../src/devtools/local-dapr.js";
import { recorder, stopAllBridges } from "../helpers/bridge-process.js";
import { describeRealDapr } from "../helpers/daprd.js";
import {
  compareJson,
  compareRaw,
  consumerDecode,
  DEAD_LETTER_ROUTE,
  DEAD_LETTER_TOPIC,
  PROTO_TOPIC,
  deliveriesOf,
  JSON_ROUTE,
  PROTO_ROUTE,
  splitSent,
  startRealPath,
  type BrokerKind,
  type RealPath,
} from "../helpers/real-path.js";

// The whole path through real parts: emitter → bridge → real daprd → broker → real daprd → HTTP
// and gRPC subscriber apps → dapr-event-bridge/consumer, compared with what the emitter sent.
// Workflow events go out in the protobuf format on a raw-payload subscription, actor events in
// JSON on a plain one.

const EVENTS_PER_STREAM = 150;
const STREAMS = 2;

let path: RealPath | undefined;

afterEach(async () => {
  await path?.close();
  path = undefined;
  await stopAllBridges();
});
afterAll(stopAllProcesses);

async function deliverAndCompare(broker: BrokerKind, line: (typeof DAPR_LINES)[number]): Promise<void> {
  path = await startRealPath({ line, broker });
  const record = recorder();
  const result = await emit({
    target: path.bridge.address,
    streams: STREAMS,
    count: EVENTS_PER_STREAM,
    seed: 7,
    appId: "orders",
    onSent: record.onSent,
  });
  expect(result.streams.every((stream) => stream.acknowledged)).toBe(true);
  const { workflows, actors } = splitSent(record.sent);
  expect(workflows.length).toBeGreaterThan(0);
  expect(actors.length).toBeGreaterThan(0);

  const subscribers = path.subscribers;
  await waitFor(
    () =>
      subscribers.every(
        (subscriber) =>
          deliveriesOf(subscriber, PROTO_ROUTE).length >= workflows.length &&
          deliveriesOf(subscriber, JSON_ROUTE).length >= actors.length,
      ),
    {
      what: `every subscriber to receive ${workflows.length} workflow and ${actors.length} actor events`,
      timeoutMs: 60_000,
    },
  );

  for (const subscriber of subscribers) {
    const raw = compareRaw(workflows, deliveriesOf(subscriber, PROTO_ROUTE));
    expect({
      protocol: subscriber.app.protocol,
      missing: raw.missing,
      unexpected: raw.unexpected,
      outOfOrder: raw.outOfOrderKeys,
    }).toEqual({
      protocol: subscriber.app.protocol,
      missing: 0,
      unexpected: 0,
      outOfOrder: [],
    });
    const json = compareJson(actors, deliveriesOf(subscriber, JSON_ROUTE));
    expect({
      protocol: subscriber.app.protocol,
      missing: json.missing,
      unexpected: json.unexpected,
      outOfOrder: json.outOfOrderKeys,
    }).toEqual({
      protocol: subscriber.app.protocol,
      missing: 0,
      unexpected: 0,
      outOfOrder: [],
    });
  }
}

describeRealDapr("real daprd: the whole path, byte for byte", () => {
  for (const line of DAPR_LINES) {
    it(`daprd ${line} through Redis Streams to HTTP and gRPC subscribers, both formats`, async () => {
      await deliverAndCompare("redis", line);
    }, 180_000);
  }

  it("a topic daprd refuses (publishingScopes → PERMISSION_DENIED) goes to the dead-letter route, every event intact", async () => {
    path = await startRealPath({
      line: "1.18",
      subscribers: ["grpc"],
      bridgeTopics: [PROTO_TOPIC, DEAD_LETTER_TOPIC],
      bridgeFlags: ["--max-attempts", "3"],
    });
    const record = recorder();
    await emit({
      target: path.bridge.address,
      streams: 1,
      count: 120,
      seed: 3,
      appId: "orders",
      onSent: record.onSent,
    });
    const { workflows, actors } = splitSent(record.sent);
    const [subscriber] = path.subscribers;
    if (subscriber === undefined) throw new Error("no subscriber");
    // Dead letters keep their route's format: the actor events are JSON CloudEvents.
    await waitFor(
      () =>
        compareJson(actors, deliveriesOf(subscriber, DEAD_LETTER_ROUTE)).missing === 0 &&
        compareRaw(workflows, deliveriesOf(subscriber, PROTO_ROUTE)).missing === 0,
      { what: "the workflow events on their topic and the actor events dead-lettered", timeoutMs: 90_000 },
    );
    const dead = compareJson(actors, deliveriesOf(subscriber, DEAD_LETTER_ROUTE));
    expect({ unexpected: dead.unexpected, outOfOrder: dead.outOfOrderKeys }).toEqual({ unexpected: 0, outOfOrder: [] });
    expect(deliveriesOf(subscriber, JSON_ROUTE)).toHaveLength(0);
    for (const delivery of deliveriesOf(subscriber, DEAD_LETTER_ROUTE)) {
      const decoded = consumerDecode(delivery);
      expect(decoded.extensions["deadletterreason"]).toBe("max_attempts");
      expect(String(decoded.extensions["deadlettererror"])).toContain("is not allowed for app id");
      expect(decoded.extensions["deadletterattempts"]).toBe(3);
    }
  }, 180_000);

  it("daprd 1.18 through RabbitMQ", async () => {
    await deliverAndCompare("rabbitmq", "1.18");
  }, 180_000);

  it("daprd 1.18 through NATS JetStream", async () => {
    await deliverAndCompare("jetstream", "1.18");
  }, 180_000);
});
