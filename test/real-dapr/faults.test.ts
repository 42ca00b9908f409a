import { setTimeout } from "node:timers/promises";
import { afterAll, afterEach, expect, it } from "vitest";
import { emit, type EmitResult } from "../../src/devtools/emitter.js";
import { stopAllProcesses, waitFor } from "../../src/devtools/local-processes.js";
import { readSpoolRows, recorder, stopAllBridges, type TrackedFrame } from "../helpers/bridge-process.js";
import { describeRealDapr } from "../helpers/daprd.js";
import {
  compareJson,
  compareRaw,
  DEAD_LETTER_ROUTE,
  deliveriesOf,
  JSON_ROUTE,
  PROTO_ROUTE,
  splitSent,
  startRealPath,
  type RealPath,
} from "../helpers/real-path.js";

// Real faults on the real path (daprd 1.18, Redis Streams, an HTTP subscriber). Each ends with
// nothing dead-lettered, nothing missing and per-key order held. The emitter paces its events so
// that the fault lands mid-stream.

let path: RealPath | undefined;

afterEach(async () => {
  await path?.close();
  path = undefined;
  await stopAllBridges();
});
afterAll(stopAllProcesses);

const RATE = 100;
const OUTAGE_MS = 45_000;
const COUNT = 300;

/** Starts a paced emitter; `sent` grows as frames are written. */
function startEmitting(target: string): { sent: TrackedFrame[]; done: Promise<EmitResult> } {
  const record = recorder();
  const done = emit({
    target,
    streams: 2,
    count: COUNT / 2,
    seed: 11,
    ratePerSec: RATE,
    appId: "orders",
    onSent: record.onSent,
  });
  return { sent: record.sent, done };
}

/** Waits until the subscriber has every sent event, then checks the outcome. */
async function expectEverythingDelivered(real: RealPath, sent: readonly TrackedFrame[]): Promise<void> {
  const { workflows, actors } = splitSent(sent);
  const [subscriber] = real.subscribers;
  if (subscriber === undefined) throw new Error("no subscriber");
  await waitFor(
    () =>
      compareRaw(workflows, deliveriesOf(subscriber, PROTO_ROUTE)).missing === 0 &&
      compareJson(actors, deliveriesOf(subscriber, JSON_ROUTE)).missing === 0,
    { what: `all ${sent.length} events at the subscriber`, timeoutMs: 120_000 },
  );
  const raw = compareRaw(workflows, deliveriesOf(subscriber, PROTO_ROUTE));
  const json = compareJson(actors, deliveriesOf(subscriber, JSON_ROUTE));
  expect({ missing: raw.missing + json.missing, unexpected: raw.unexpected + json.unexpected }).toEqual({
    missing: 0,
    unexpected: 0,
  });
  expect([...raw.outOfOrderKeys, ...json.outOfOrderKeys]).toEqual([]);
  expect(deliveriesOf(subscriber, DEAD_LETTER_ROUTE)).toHaveLength(0);
  expect(readSpoolRows(real.spoolDir).filter((row) => row.state === "dead")).toHaveLength(0);
}

describeRealDapr("real daprd: faults lose nothing and dead-letter nothing", () => {
  it("the broker (Redis) stopped for 45 s mid-stream, then restarted", async () => {
    path = await startRealPath({ line: "1.18", subscribers: ["http"], persistentRedis: true });
    const redis = path.redis;
    if (redis === undefined) throw new Error("no redis");
    const emitting = startEmitting(path.bridge.address);
    await waitFor(() => emitting.sent.length >= COUNT / 4, { what: "a quarter of the events sent" });
    await redis.stop();
    const outage = setTimeout(OUTAGE_MS);
    // The bridge keeps accepting while the broker is down: every stream is acknowledged.
    const result = await emitting.done;
    expect(result.streams.every((stream) => stream.acknowledged)).toBe(true);
    // The outage's length is what this test is about, not a wait for something to happen.
    await outage;
    await redis.restart();
    await expectEverythingDelivered(path, emitting.sent);
  }, 240_000);

  it("the bridge's daprd SIGKILLed mid-stream, then restarted", async () => {
    path = await startRealPath({ line: "1.18", subscribers: ["http"] });
    const emitting = startEmitting(path.bridge.address);
    await waitFor(() => emitting.sent.length >= COUNT / 3, { what: "a third of the events sent" });
    await path.publisher()?.kill();
    await waitFor(() => emitting.sent.length >= (COUNT * 2) / 3, { what: "two thirds of the events sent" });
    await path.startPublisherSidecar();
    const result = await emitting.done;
    expect(result.streams.every((stream) => stream.acknowledged)).toBe(true);
    await expectEverythingDelivered(path, emitting.sent);
  }, 180_000);

  it("the bridge's daprd started only after the bridge", async () => {
    path = await startRealPath({ line: "1.18", subscribers: ["http"], bridgeFirst: true });
    const emitting = startEmitting(path.bridge.address);
    await waitFor(() => emitting.sent.length >= COUNT / 2, { what: "half the events sent" });
    expect(path.publisher()).toBeUndefined();
    await path.startPublisherSidecar();
    const result = await emitting.done;
    expect(result.streams.every((stream) => stream.acknowledged)).toBe(true);
    await expectEverythingDelivered(path, emitting.sent);
  }, 180_000);
});
