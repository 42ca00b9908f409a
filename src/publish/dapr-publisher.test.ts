import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DevSidecar, type DevSidecarOptions } from "../devtools/dev-sidecar.js";
import { seededRandom } from "../devtools/dev-sidecar-faults.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { DaprPublisher, type DaprPublisherOptions } from "./dapr-publisher.js";
import { daprMethodCodec, type BulkPublishRequest, type BulkPublishResponse } from "./dapr-runtime-client.js";
import type { PublishItem } from "./publisher.js";

const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function sidecar(options: DevSidecarOptions = {}): Promise<{ sidecar: DevSidecar; endpoint: string }> {
  const instance = new DevSidecar({ listen: "127.0.0.1:0", ...options });
  const { address } = await instance.start();
  open.push(instance);
  return { sidecar: instance, endpoint: address };
}

function publisher(options: DaprPublisherOptions): DaprPublisher {
  const instance = new DaprPublisher(options);
  open.push(instance);
  return instance;
}

function item(n: number, key = `key-${n}`): PublishItem {
  return {
    entryId: `e${n}`,
    data: Buffer.from(`event ${n}`),
    contentType: n % 2 === 0 ? "application/cloudevents+protobuf" : "application/cloudevents+json",
    metadata: { partitionKey: key, rawPayload: "true" },
  };
}

async function rejection(promise: Promise<unknown>): Promise<BridgeError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
}

describe("DaprPublisher against the dev sidecar", () => {
  it("publishes a batch with BulkPublishEvent, with each entry's content type and metadata", async () => {
    const { sidecar: s, endpoint } = await sidecar();
    const p = publisher({ endpoint });
    const items = [item(1), item(2), item(3)];
    const result = await p.publish("pubsub", "events", items);
    expect(result.failed.size).toBe(0);
    const received = s.received("pubsub", "events");
    expect(received.map((e) => e.method)).toEqual(["BulkPublishEvent", "BulkPublishEvent", "BulkPublishEvent"]);
    expect(received.map((e) => e.data.toString())).toEqual(["event 1", "event 2", "event 3"]);
    expect(received.map((e) => e.contentType)).toEqual(items.map((i) => i.contentType));
    expect(received.map((e) => e.metadata)).toEqual(items.map((i) => i.metadata));
    expect(s.stats().calls).toBe(1);
  });

  it("falls back to BulkPublishEventAlpha1 and keeps using it", async () => {
    const { sidecar: s, endpoint } = await sidecar({ bulkMethods: "alpha-only" });
    const p = publisher({ endpoint });
    await p.publish("pubsub", "events", [item(1), item(2)]);
    await p.publish("pubsub", "events", [item(3)]);
    expect(p.method).toBe("BulkPublishEventAlpha1");
    const received = s.received();
    expect(received.map((e) => e.method)).toEqual(Array(3).fill("BulkPublishEventAlpha1"));
    expect(received[2]?.metadata).toEqual(item(3).metadata);
  });

  it("falls back to one PublishEvent per item when the sidecar has no bulk method", async () => {
    const { sidecar: s, endpoint } = await sidecar({ bulkMethods: "none" });
    const p = publisher({ endpoint });
    const items = [item(1), item(2), item(3)];
    const result = await p.publish("pubsub", "events", items);
    expect(result.failed.size).toBe(0);
    expect(p.method).toBe("PublishEvent");
    const received = s.received();
    expect(received.map((e) => e.method)).toEqual(Array(3).fill("PublishEvent"));
    expect(received.map((e) => e.contentType)).toEqual(items.map((i) => i.contentType));
    expect(received.map((e) => e.metadata)).toEqual(items.map((i) => i.metadata));
  });

  it("reports per-item failures of the fallback, and holds back later items of a failed key", async () => {
    const seed = 7;
    const { sidecar: s, endpoint } = await sidecar({ bulkMethods: "none", seed, faults: { failureRate: 0.4 } });
    const p = publisher({ endpoint });
    const items = Array.from({ length: 12 }, (_, n) => item(n, `key-${n % 3}`));
    // The sidecar draws once per call it receives; replay the draws to know the expected outcome.
    const draw = seededRandom(seed);
    const failedKeys = new Set<string>();
    const expectedFailed: string[] = [];
    for (const i of items) {
      const key = i.metadata["partitionKey"] ?? "";
      if (failedKeys.has(key) || draw() < 0.4) {
        failedKeys.add(key);
        expectedFailed.push(i.entryId);
      }
    }
    expect(expectedFailed.length).toBeGreaterThan(0);
    expect(expectedFailed.length).toBeLessThan(items.length);
    const result = await p.publish("pubsub", "events", items);
    expect([...result.failed.keys()].sort()).toEqual([...expectedFailed].sort());
    for (const error of result.failed.values()) expect(error.retryable).toBe(true);
    const receivedData = s.received().map((e) => e.data.toString());
    expect(receivedData).toEqual(items.filter((i) => !expectedFailed.includes(i.entryId)).map((i) => Buffer.from(i.data).toString()));
  });

  it("rejects the whole call with a retryable error when the sidecar fails it", async () => {
    const { sidecar: s, endpoint } = await sidecar({ faults: { failureRate: 1 } });
    const p = publisher({ endpoint });
    const error = await rejection(p.publish("pubsub", "events", [item(1)]));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain("BulkPublishEvent to " + endpoint);
    expect(s.received()).toEqual([]);
  });

  it("rejects with a non-retryable `rejected` error when the sidecar refuses the topic", async () => {
    const { sidecar: s, endpoint } = await sidecar({ faults: { rejectTopics: { bad: 3 /* INVALID_ARGUMENT */ } } });
    const p = publisher({ endpoint });
    const error = await rejection(p.publish("pubsub", "bad", [item(1)]));
    expect(error.code).toBe(ErrorCode.Rejected);
    expect(error.retryable).toBe(false);
    await p.publish("pubsub", "good", [item(2)]);
    expect(s.received().map((e) => e.topic)).toEqual(["good"]);
  });

  it("sends the API token, and fails with permission_denied without the right one", async () => {
    const { sidecar: s, endpoint } = await sidecar({ apiToken: "s3cret" });
    const none = publisher({ endpoint });
    const wrong = publisher({ endpoint, apiToken: "guess" });
    const right = publisher({ endpoint, apiToken: "s3cret" });
    expect((await rejection(none.publish("pubsub", "events", [item(1)]))).code).toBe(ErrorCode.PermissionDenied);
    const denied = await rejection(wrong.publish("pubsub", "events", [item(2)]));
    expect(denied.code).toBe(ErrorCode.PermissionDenied);
    expect(denied.message).not.toContain("guess");
    expect(await wrong.checkSidecar()).toBe(false);
    expect(await right.checkSidecar()).toBe(true);
    await right.publish("pubsub", "events", [item(3)]);
    expect(s.received().map((e) => e.data.toString())).toEqual(["event 3"]);
    expect(s.stats().unauthenticated).toBe(3);
  });

  it("fails with a retryable deadline_exceeded when the sidecar answers after the deadline", async () => {
    const { sidecar: s, endpoint } = await sidecar({ faults: { latencyMs: 30_000 } });
    const p = publisher({ endpoint, timeoutMs: 100 });
    const error = await rejection(p.publish("pubsub", "events", [item(1)]));
    expect(error.code).toBe(ErrorCode.DeadlineExceeded);
    expect(error.retryable).toBe(true);
    expect(s.received()).toEqual([]);
  });

  it("cancels the call when the signal aborts", async () => {
    const { sidecar: s, endpoint } = await sidecar({ faults: { latencyMs: 30_000 } });
    const p = publisher({ endpoint, timeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = rejection(p.publish("pubsub", "events", [item(1)], controller.signal));
    await vi.waitFor(() => expect(s.stats().calls).toBe(1), { timeout: 10_000 });
    controller.abort();
    expect((await pending).code).toBe(ErrorCode.Aborted);
    const before = new AbortController();
    before.abort();
    expect((await rejection(p.publish("pubsub", "events", [item(2)], before.signal))).code).toBe(ErrorCode.Aborted);
    expect(s.stats().calls).toBe(1);
  });

  it("checkSidecar is false when nothing listens", async () => {
    const { sidecar: s, endpoint } = await sidecar();
    const p = publisher({ endpoint, timeoutMs: 2000 });
    expect(await p.checkSidecar()).toBe(true);
    await s.close();
    expect(await p.checkSidecar()).toBe(false);
  });
});

describe("DaprPublisher with a sidecar that reports failed entries", () => {
  it("turns failedEntries into retryable unavailable errors carrying the sidecar's text", async () => {
    const server = new Server();
    const codec = daprMethodCodec("BulkPublishEvent");
    const seen: BulkPublishRequest[] = [];
    server.addService(
      {
        BulkPublishEvent: {
          path: codec.path,
          requestStream: false,
          responseStream: false,
          requestSerialize: codec.serializeRequest,
          requestDeserialize: codec.deserializeRequest,
          responseSerialize: codec.serializeResponse,
          responseDeserialize: codec.deserializeResponse,
        },
      },
      {
        BulkPublishEvent: (call: ServerUnaryCall<BulkPublishRequest, BulkPublishResponse>, callback: sendUnaryData<BulkPublishResponse>) => {
          seen.push(call.request);
          callback(null, { failedEntries: [{ entry_id: "e2", error: "kafka: leader not available" }] });
        },
      },
    );
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
        error === null ? resolve(bound) : reject(error),
      ),
    );
    open.push({ close: () => server.forceShutdown() });
    const p = publisher({ endpoint: `http://127.0.0.1:${port}` });
    const result = await p.publish("pubsub", "events", [item(1), item(2)]);
    expect([...result.failed.keys()]).toEqual(["e2"]);
    const failure = result.failed.get("e2");
    expect(failure?.code).toBe(ErrorCode.Unavailable);
    expect(failure?.retryable).toBe(true);
    expect(failure?.message).toContain("kafka: leader not available");
    // Nothing at request level: it would override the entries' metadata.
    expect(seen[0]?.metadata).toEqual({});
  });
});
