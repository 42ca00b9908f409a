import { afterAll, afterEach, expect, it } from "vitest";
import { emit } from "../../src/devtools/emitter.js";
import { waitFor, stopAllProcesses } from "../../src/devtools/local-processes.js";
import { DAPR_LINES } from "../../src/devtools/local-dapr.js";
import { recorder, stopAllBridges } from "../helpers/bridge-process.js";
import { describeRealDapr } from "../helpers/daprd.js";
import {
  compareJson,
  compareRaw,
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
    { what: `every subscriber to receive ${workflows.length} workflow and ${actors.length} actor events`, timeoutMs: 60_000 },
  );

  for (const subscriber of subscribers) {
    const raw = compareRaw(workflows, deliveriesOf(subscriber, PROTO_ROUTE));
    expect({ protocol: subscriber.app.protocol, missing: raw.missing, unexpected: raw.unexpected, outOfOrder: raw.outOfOrderKeys }).toEqual({
      protocol: subscriber.app.protocol,
      missing: 0,
      unexpected: 0,
      outOfOrder: [],
    });
    const json = compareJson(actors, deliveriesOf(subscriber, JSON_ROUTE));
    expect({ protocol: subscriber.app.protocol, missing: json.missing, unexpected: json.unexpected, outOfOrder: json.outOfOrderKeys }).toEqual({
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

  it("daprd 1.18 through RabbitMQ", async () => {
    await deliverAndCompare("rabbitmq", "1.18");
  }, 180_000);

  it("daprd 1.18 through NATS JetStream", async () => {
    await deliverAndCompare("jetstream", "1.18");
  }, 180_000);
});
