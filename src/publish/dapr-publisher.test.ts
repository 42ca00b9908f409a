import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type ServiceError,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { DevSidecar, type DevSidecarOptions } from "../devtools/dev-sidecar.js";
import { seededRandom } from "../devtools/dev-sidecar-faults.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { DaprPublisher, type DaprPublisherOptions } from "./dapr-publisher.js";
import {
  daprMethodCodec,
  unaryMethodDefinition,
  type BulkPublishRequest,
  type BulkPublishResponse,
  type DaprRuntimeMethods,
  type GetMetadataResponse,
  type MethodCodec,
} from "./dapr-runtime-client.js";
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

/** A protobuf item (rawPayload), or a JSON one with `json`. */
function item(n: number, key = `key-${n}`, format: "protobuf" | "json" = "protobuf"): PublishItem {
  return format === "protobuf"
    ? {
        entryId: `e${n}`,
        data: Buffer.from(`event ${n}`),
        contentType: "application/cloudevents+protobuf",
        rawPayload: true,
        metadata: { partitionKey: key, "content-type": "application/cloudevents+protobuf" },
      }
    : {
        entryId: `e${n}`,
        data: Buffer.from(`{"n":${n}}`),
        contentType: "application/cloudevents+json",
        rawPayload: false,
        metadata: { partitionKey: key },
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
    // daprd publishes a bulk call's entries in parallel: compare them in entry order.
    const received = s.received("pubsub", "events").sort((a, b) => (a.entryId ?? "").localeCompare(b.entryId ?? ""));
    expect(received.map((e) => e.method)).toEqual(["BulkPublishEvent", "BulkPublishEvent", "BulkPublishEvent"]);
    expect(received.map((e) => e.data.toString())).toEqual(["event 1", "event 2", "event 3"]);
    expect(received.map((e) => e.contentType)).toEqual(items.map((i) => i.contentType));
    // What the component gets: the entry's metadata with the request's rawPayload merged under it.
    expect(received.map((e) => e.metadata)).toEqual(items.map((i) => ({ ...i.metadata, rawPayload: "true" })));
    expect(s.stats().calls).toBe(2); // GetMetadata, then one bulk call
  });

  it("uses BulkPublishEventAlpha1 with a 1.16 sidecar, whose BulkPublishEvent is absent", async () => {
    const { sidecar: s, endpoint } = await sidecar({ daprVersion: "1.16.5" });
    const p = publisher({ endpoint });
    await p.publish("pubsub", "events", [item(1), item(2)]);
    await p.publish("pubsub", "events", [item(3)]);
    expect(p.method).toBe("BulkPublishEventAlpha1");
    const received = s.received();
    expect(received.map((e) => e.method)).toEqual(Array(3).fill("BulkPublishEventAlpha1"));
    expect(received[2]?.metadata).toEqual({ ...item(3).metadata, rawPayload: "true" });
  });

  it("falls back to one PublishEvent per item when the sidecar has no bulk method", async () => {
    const { sidecar: s, endpoint } = await sidecar({ daprVersion: "1.9.0" });
    const p = publisher({ endpoint });
    const items = [item(1), item(2), item(3)];
    const result = await p.publish("pubsub", "events", items);
    expect(result.failed.size).toBe(0);
    expect(p.method).toBe("PublishEvent");
    const received = s.received();
    expect(received.map((e) => e.method)).toEqual(Array(3).fill("PublishEvent"));
    expect(received.map((e) => e.contentType)).toEqual(items.map((i) => i.contentType));
    expect(received.map((e) => e.raw)).toEqual([true, true, true]);
    expect(received.map((e) => e.data.toString())).toEqual(["event 1", "event 2", "event 3"]);
    for (const [n, e] of received.entries())
      expect(e.metadata).toMatchObject({ ...items[n]?.metadata, rawPayload: "true" });
  });

  it("reports per-item failures of the fallback, and holds back later items of a failed key", async () => {
    const seed = 7;
    const { sidecar: s, endpoint } = await sidecar({ daprVersion: "1.9.0", seed, faults: { failureRate: 0.4 } });
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
    expect(receivedData).toEqual(
      items.filter((i) => !expectedFailed.includes(i.entryId)).map((i) => Buffer.from(i.data).toString()),
    );
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

  it("sends the API token, and fails with a retryable unauthenticated without the right one", async () => {
    const { sidecar: s, endpoint } = await sidecar({ apiToken: "s3cret" });
    const none = publisher({ endpoint });
    const wrong = publisher({ endpoint, apiToken: "guess" });
    const right = publisher({ endpoint, apiToken: "s3cret" });
    expect((await rejection(none.publish("pubsub", "events", [item(1)]))).code).toBe(ErrorCode.Unauthenticated);
    const denied = await rejection(wrong.publish("pubsub", "events", [item(2)]));
    expect(denied).toMatchObject({ code: ErrorCode.Unauthenticated, retryable: true });
    expect(denied.message).not.toContain("guess");
    expect(await wrong.checkSidecar()).toBe(false);
    expect(await right.checkSidecar()).toBe(true);
    await right.publish("pubsub", "events", [item(3)]);
    expect(s.received().map((e) => e.data.toString())).toEqual(["event 3"]);
    // Each refused publish stops at its GetMetadata (asked first): a refused token is a sidecar-wide
    // fault, so the publish rejects with it (retried later) before any bulk call; and one probe.
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
    await vi.waitFor(() => expect(s.stats().calls).toBe(2), { timeout: 10_000 });
    controller.abort();
    expect((await pending).code).toBe(ErrorCode.Aborted);
    const before = new AbortController();
    before.abort();
    expect((await rejection(p.publish("pubsub", "events", [item(2)], before.signal))).code).toBe(ErrorCode.Aborted);
    expect(s.stats().calls).toBe(2);
  });

  it("checkSidecar is false when nothing listens", async () => {
    const { sidecar: s, endpoint } = await sidecar();
    const p = publisher({ endpoint, timeoutMs: 2000 });
    expect(await p.checkSidecar()).toBe(true);
    await s.close();
    expect(await p.checkSidecar()).toBe(false);
  });
});

/** What a scripted sidecar answers a call with: a response, or a gRPC status. */
type Answer<Res> = Res | { readonly code: GrpcStatus; readonly details: string };

type Script = {
  readonly [M in "GetMetadata" | "BulkPublishEvent" | "BulkPublishEventAlpha1" | "PublishEvent"]?: (
    request: DaprRuntimeMethods[M]["request"],
  ) => Answer<DaprRuntimeMethods[M]["response"]>;
};

/** A gRPC server of Dapr's runtime service that answers as `script` says and records every call. */
async function scriptedSidecar(
  script: Script,
): Promise<{ endpoint: string; calls: Array<{ method: string; request: unknown }> }> {
  const server = new Server();
  const calls: Array<{ method: string; request: unknown }> = [];
  const definition: Record<string, ServiceDefinition[string]> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const [method, answer] of Object.entries(script) as Array<
    [keyof Script, (request: unknown) => Answer<unknown>]
  >) {
    const codec = daprMethodCodec(method) as MethodCodec<unknown, unknown>;
    definition[method] = unaryMethodDefinition(codec);
    implementation[method] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      calls.push({ method, request: call.request });
      const result = answer(call.request);
      if (typeof result === "object" && result !== null && "code" in result && "details" in result)
        callback(result as ServiceError);
      else callback(null, result);
    };
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  open.push({ close: () => server.forceShutdown() });
  return { endpoint: `127.0.0.1:${port}`, calls };
}

const PROXY_UNKNOWN = {
  code: GrpcStatus.UNKNOWN,
  details: "failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found",
};
const ok = (): BulkPublishResponse => ({ failedEntries: [] });
const version = (runtime_version: string) => (): GetMetadataResponse => ({ id: "app", runtime_version });

describe("DaprPublisher: request-level rawPayload", () => {
  it("sets rawPayload on the request only, one call per run of a format, in item order", async () => {
    const s = await scriptedSidecar({ GetMetadata: version("1.18.2"), BulkPublishEvent: ok });
    const p = publisher({ endpoint: s.endpoint });
    const items = [item(1), item(2), item(3, "key-3", "json"), item(4)];
    expect((await p.publish("pubsub", "events", items)).failed.size).toBe(0);
    const bulk = s.calls.filter((c) => c.method === "BulkPublishEvent").map((c) => c.request as BulkPublishRequest);
    expect(bulk.map((r) => r.metadata)).toEqual([{ rawPayload: "true" }, {}, { rawPayload: "true" }]);
    expect(bulk.map((r) => r.entries.map((e) => e.entry_id))).toEqual([["e1", "e2"], ["e3"], ["e4"]]);
    for (const request of bulk) {
      for (const entry of request.entries) expect(entry.metadata).not.toHaveProperty("rawPayload");
    }
    expect(bulk[0]?.entries[0]?.metadata).toEqual({
      partitionKey: "key-1",
      "content-type": "application/cloudevents+protobuf",
    });
    expect(bulk[1]?.entries[0]?.metadata).toEqual({ partitionKey: "key-3" });
  });

  it("sets rawPayload in PublishEvent's metadata, next to the item's own", async () => {
    const s = await scriptedSidecar({ GetMetadata: version("1.9.0"), PublishEvent: () => ({}) });
    const p = publisher({ endpoint: s.endpoint });
    await p.publish("pubsub", "events", [item(1), item(2, "key-2", "json")]);
    expect(
      s.calls.filter((c) => c.method === "PublishEvent").map((c) => (c.request as { metadata: unknown }).metadata),
    ).toEqual([
      { partitionKey: "key-1", "content-type": "application/cloudevents+protobuf", rawPayload: "true" },
      { partitionKey: "key-2" },
    ]);
  });

  it("does not send an entry whose key failed in an earlier run of the batch", async () => {
    const s = await scriptedSidecar({
      GetMetadata: version("1.18.2"),
      BulkPublishEvent: (request) =>
        request.entries.some((e) => e.entry_id === "e1")
          ? { code: GrpcStatus.INVALID_ARGUMENT, details: "bad entry" }
          : ok(),
    });
    const p = publisher({ endpoint: s.endpoint });
    const result = await p.publish("pubsub", "events", [item(1, "k"), item(2, "k", "json"), item(3, "other", "json")]);
    expect([...result.failed.keys()].sort()).toEqual(["e1", "e2"]);
    expect(result.failed.get("e2")?.message).toMatch(/^not sent: an earlier entry of key k failed/);
    expect(result.failed.get("e2")?.code).toBe(ErrorCode.Rejected);
    const sent = s.calls
      .filter((c) => c.method === "BulkPublishEvent")
      .map((c) => (c.request as BulkPublishRequest).entries.map((e) => e.entry_id));
    expect(sent).toEqual([["e1"], ["e3"]]);
  });

  it("stops a batch at a run that failed for the whole sidecar, and rejects when nothing was published", async () => {
    const s = await scriptedSidecar({
      GetMetadata: version("1.18.2"),
      BulkPublishEvent: () => ({ code: GrpcStatus.UNAVAILABLE, details: "down" }),
    });
    const p = publisher({ endpoint: s.endpoint });
    const error = await rejection(p.publish("pubsub", "events", [item(1), item(2, "key-2", "json")]));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(s.calls.filter((c) => c.method === "BulkPublishEvent")).toHaveLength(1);
  });
});

describe("DaprPublisher: the method, from the sidecar's version", () => {
  it.each([
    ["1.16.5", "BulkPublishEventAlpha1"],
    ["1.14.0", "BulkPublishEventAlpha1"],
    ["1.17.0", "BulkPublishEvent"],
    ["v1.18.2", "BulkPublishEvent"],
    ["edge", "BulkPublishEvent"],
    ["dev", "BulkPublishEvent"],
  ])("runtime_version %s publishes with %s", async (runtimeVersion, expected) => {
    const s = await scriptedSidecar({
      GetMetadata: version(runtimeVersion),
      BulkPublishEvent: ok,
      BulkPublishEventAlpha1: ok,
    });
    const p = publisher({ endpoint: s.endpoint });
    await p.publish("pubsub", "events", [item(1)]);
    await p.publish("pubsub", "events", [item(2)]);
    expect(s.calls.map((c) => c.method)).toEqual(["GetMetadata", expected, expected]);
  });

  it("takes daprd's proxy UNKNOWN for a missing method, falls back and remembers, never failing an entry", async () => {
    const s = await scriptedSidecar({
      GetMetadata: version("dev"),
      BulkPublishEvent: () => PROXY_UNKNOWN,
      BulkPublishEventAlpha1: ok,
    });
    const p = publisher({ endpoint: s.endpoint });
    expect((await p.publish("pubsub", "events", [item(1)])).failed.size).toBe(0);
    expect((await p.publish("pubsub", "events", [item(2)])).failed.size).toBe(0);
    expect(p.method).toBe("BulkPublishEventAlpha1");
    expect(s.calls.map((c) => c.method)).toEqual([
      "GetMetadata",
      "BulkPublishEvent",
      "BulkPublishEventAlpha1",
      "BulkPublishEventAlpha1",
    ]);
  });

  it("retries later, without an entry failing for good, while GetMetadata says the sidecar is not up", async () => {
    let up = false;
    const s = await scriptedSidecar({
      GetMetadata: () => (up ? version("1.16.5")() : { code: GrpcStatus.UNAVAILABLE, details: "starting" }),
      BulkPublishEvent: () => PROXY_UNKNOWN,
      BulkPublishEventAlpha1: ok,
    });
    const p = publisher({ endpoint: s.endpoint });
    const error = await rejection(p.publish("pubsub", "events", [item(1)]));
    expect(error.code).toBe(ErrorCode.Unavailable);
    expect(error.retryable).toBe(true);
    up = true;
    expect((await p.publish("pubsub", "events", [item(1)])).failed.size).toBe(0);
    expect(s.calls.map((c) => c.method)).toEqual(["GetMetadata", "GetMetadata", "BulkPublishEventAlpha1"]);
  });
});

describe("DaprPublisher: broker failures", () => {
  it("makes daprd's INTERNAL a retryable broker_unavailable", async () => {
    const s = await scriptedSidecar({
      GetMetadata: version("1.18.2"),
      BulkPublishEvent: () => ({
        code: GrpcStatus.INTERNAL,
        details: "error when publishing to topic events in pubsub pubsub: circuit breaker is open",
      }),
    });
    const p = publisher({ endpoint: s.endpoint });
    const error = await rejection(p.publish("pubsub", "events", [item(1)]));
    expect(error.code).toBe(ErrorCode.BrokerUnavailable);
    expect(error.retryable).toBe(true);
  });

  it("turns failedEntries into retryable broker_unavailable errors carrying the sidecar's text", async () => {
    const s = await scriptedSidecar({
      GetMetadata: version("1.18.2"),
      BulkPublishEvent: () => ({ failedEntries: [{ entry_id: "e2", error: "kafka: leader not available" }] }),
    });
    const p = publisher({ endpoint: `http://${s.endpoint}` });
    const result = await p.publish("pubsub", "events", [item(1), item(2)]);
    expect([...result.failed.keys()]).toEqual(["e2"]);
    const failure = result.failed.get("e2");
    expect(failure?.code).toBe(ErrorCode.BrokerUnavailable);
    expect(failure?.retryable).toBe(true);
    expect(failure?.message).toContain("kafka: leader not available");
  });
});
