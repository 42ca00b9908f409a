import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { devSidecarCommand, devSidecarOptionsFromFlags } from "../cli/commands/dev-sidecar.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import {
  daprMethodCodec,
  DaprRuntimeClient,
  type BulkPublishRequest,
  type MethodCodec,
} from "../publish/dapr-runtime-client.js";
import { DevSidecar, PROXY_MISSING_METHOD, type DevSidecarOptions } from "./dev-sidecar.js";
import type { ReceivedEvent } from "./dev-sidecar-store.js";

const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

/** Received events ordered by entry id (a bulk call's entries reach the broker in no guaranteed order). */
function byEntryId(events: readonly ReceivedEvent[]): ReceivedEvent[] {
  return [...events].sort((a, b) => (a.entryId ?? "").localeCompare(b.entryId ?? ""));
}

async function start(
  options: DevSidecarOptions = {},
): Promise<{ sidecar: DevSidecar; client: DaprRuntimeClient; port: number }> {
  const sidecar = new DevSidecar({ listen: "127.0.0.1:0", ...options });
  const { address } = await sidecar.start();
  open.push(sidecar);
  const client = new DaprRuntimeClient({ endpoint: address });
  open.push(client);
  return { sidecar, client, port: Number(address.split(":")[1]) };
}

function publishRequest(topic: string, n: number): Parameters<DaprRuntimeClient["publishEvent"]>[0] {
  return { pubsub_name: "pubsub", topic, data: Buffer.from(`e${n}`), data_content_type: "text/plain", metadata: {} };
}

async function outcome(promise: Promise<unknown>): Promise<BridgeError | "ok"> {
  return promise.then(
    () => "ok" as const,
    (error: unknown) => BridgeError.from(error),
  );
}

describe("DevSidecar", () => {
  it("accepts a publish from @dapr/dapr's DaprClient over gRPC", async () => {
    const { sidecar, port } = await start();
    const dapr = new DaprClient({
      daprHost: "127.0.0.1",
      daprPort: String(port),
      communicationProtocol: CommunicationProtocolEnum.GRPC,
      logger: { level: LogLevel.Error },
    });
    open.push({ close: () => dapr.stop() });
    await dapr.pubsub.publish("pubsub", "orders", { order: 42 });
    const [event] = await sidecar.waitFor(1, { timeoutMs: 30_000 });
    expect(event?.pubsub).toBe("pubsub");
    expect(event?.topic).toBe("orders");
    expect(event?.method).toBe("PublishEvent");
    expect(event?.contentType).toBe("application/json");
    // No rawPayload: daprd hands the broker its com.dapr.event.sent envelope, the JSON inside `data`.
    expect(event?.raw).toBe(false);
    expect(JSON.parse(event?.data.toString() ?? "null")).toMatchObject({
      type: "com.dapr.event.sent",
      source: "dev-sidecar",
      specversion: "1.0",
      datacontenttype: "application/json",
      topic: "orders",
      pubsubname: "pubsub",
      data: { order: 42 },
    });
  });

  it("behaves as the daprd release it is told: runtime_version, and the proxy's UNKNOWN for a missing method", async () => {
    const { sidecar, client, port } = await start({ daprVersion: "1.16.5" });
    expect((await client.getMetadata()).runtime_version).toBe("1.16.5");
    const bulk: BulkPublishRequest = { pubsub_name: "p", topic: "t", entries: [], metadata: {} };
    expect(await outcome(client.bulkPublishEvent(bulk))).toMatchObject({ code: ErrorCode.Unimplemented });
    expect(await outcome(client.bulkPublishEventAlpha1(bulk))).toBe("ok");
    const raw = new Client(`127.0.0.1:${port}`, credentials.createInsecure());
    open.push(raw);
    const call = (method: "BulkPublishEvent" | "GetState", request: unknown): Promise<ServiceError | null> => {
      const codec: MethodCodec<unknown, unknown> = daprMethodCodec(method);
      return new Promise((resolve) => {
        raw.makeUnaryRequest(
          codec.path,
          codec.serializeRequest,
          codec.deserializeResponse,
          request,
          new Metadata(),
          {},
          (error: ServiceError | null) => resolve(error),
        );
      });
    };
    expect(await call("BulkPublishEvent", bulk)).toMatchObject({
      code: GrpcStatus.UNKNOWN,
      details: PROXY_MISSING_METHOD,
    });
    // A method this stand-in does not implement at all (daprd would) answers UNIMPLEMENTED.
    expect((await call("GetState", { store_name: "s", key: "k" }))?.code).toBe(GrpcStatus.UNIMPLEMENTED);
    const latest = (await start()).client;
    expect((await latest.getMetadata()).runtime_version).toBe("1.18.2");
    expect(sidecar.stats().calls).toBe(2);
  });

  it("reads rawPayload from request metadata only: entries without it are wrapped, as daprd wraps them", async () => {
    const { sidecar, client } = await start();
    const proto = Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63, 0xff]);
    const entry = (id: string, metadata: Record<string, string>) => ({
      entry_id: id,
      event: proto,
      content_type: "application/cloudevents+protobuf",
      metadata,
    });
    await client.bulkPublishEvent({
      pubsub_name: "pubsub",
      topic: "t",
      metadata: { rawPayload: "true" },
      entries: [entry("1", { partitionKey: "k" })],
    });
    await client.bulkPublishEvent({
      pubsub_name: "pubsub",
      topic: "t",
      metadata: {},
      entries: [entry("2", { partitionKey: "k", rawPayload: "true" })],
    });
    await client.publishEvent({
      pubsub_name: "pubsub",
      topic: "t",
      data: proto,
      data_content_type: "application/octet-stream",
      metadata: { rawPayload: "1" },
    });
    const [rawBulk, wrapped, rawSingle] = sidecar.received();
    expect(rawBulk?.raw).toBe(true);
    expect(rawBulk?.data).toEqual(proto);
    expect(rawSingle?.raw).toBe(true);
    expect(rawSingle?.data).toEqual(proto);
    expect(rawSingle?.metadata).toMatchObject({ rawPayload: "1", tracestate: "" });
    expect(rawSingle?.metadata["traceid"]).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(wrapped?.raw).toBe(false);
    const envelope = JSON.parse(wrapped?.data.toString() ?? "null") as Record<string, unknown>;
    expect(Object.keys(envelope)).toEqual(Object.keys(envelope).sort());
    expect(envelope).toMatchObject({
      type: "com.dapr.event.sent",
      source: "dev-sidecar",
      specversion: "1.0",
      datacontenttype: "application/cloudevents+protobuf",
      topic: "t",
      pubsubname: "pubsub",
      data_base64: proto.toString("base64"),
      tracestate: "",
    });
    expect(envelope["traceparent"]).toBe(envelope["traceid"]);
    expect(envelope["id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(envelope["time"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(envelope).not.toHaveProperty("data");
  });

  it("keeps a JSON CloudEvent, with daprd's topic, pubsubname and trace fields, and its own traceid", async () => {
    const { sidecar, client } = await start();
    const ce = (extra: Record<string, unknown>) =>
      Buffer.from(
        JSON.stringify({
          specversion: "1.0",
          id: "a1",
          source: "/s",
          type: "io.x",
          topic: "mine",
          data: { n: 1 },
          ...extra,
        }),
      );
    const entry = (id: string, event: Buffer) => ({
      entry_id: id,
      event,
      content_type: "application/cloudevents+json",
      metadata: { partitionKey: id },
    });
    await client.bulkPublishEvent({
      pubsub_name: "pubsub",
      topic: "t",
      metadata: {},
      entries: [entry("1", ce({})), entry("2", ce({ traceid: "00-aa-bb-01", time: "2020-01-01T00:00:00Z" }))],
    });
    // A bulk call's entries arrive in no guaranteed order (as with daprd): take them by entry id.
    const [plain, traced] = byEntryId(sidecar.received()).map(
      (e) => JSON.parse(e.data.toString()) as Record<string, unknown>,
    );
    expect(plain).toMatchObject({
      id: "a1",
      source: "/s",
      type: "io.x",
      topic: "t",
      pubsubname: "pubsub",
      data: { n: 1 },
      tracestate: "",
    });
    expect(plain?.["traceparent"]).toBe(plain?.["traceid"]);
    expect(typeof plain?.["time"]).toBe("string");
    expect(traced).toMatchObject({ traceid: "00-aa-bb-01", time: "2020-01-01T00:00:00Z", topic: "t" });
    expect(traced).not.toHaveProperty("traceparent");
    const bad = await outcome(
      client.bulkPublishEvent({
        pubsub_name: "pubsub",
        topic: "t",
        metadata: {},
        entries: [entry("3", Buffer.from("{"))],
      }),
    );
    expect(bad).toMatchObject({ code: ErrorCode.Rejected });
    const notBool = await outcome(client.publishEvent({ ...publishRequest("t", 1), metadata: { rawPayload: "yes" } }));
    expect(notBool).toMatchObject({ code: ErrorCode.Rejected });
    expect((notBool as BridgeError).message).toContain("rawPayload value must be a valid boolean: actual is 'yes'");
    expect(sidecar.received()).toHaveLength(2);
  });

  it("merges request metadata under entry metadata, only for entries with metadata; calls keep their order", async () => {
    const { sidecar, client } = await start();
    await client.bulkPublishEvent({
      pubsub_name: "pubsub",
      topic: "t",
      metadata: { ttlInSeconds: "5", partitionKey: "request", rawPayload: "true" },
      entries: [
        { entry_id: "1", event: Buffer.from("a"), content_type: "text/plain", metadata: { partitionKey: "a", x: "1" } },
        { entry_id: "2", event: Buffer.from("b"), content_type: "application/json", metadata: {} },
      ],
    });
    await client.publishEvent(publishRequest("u", 3));
    const received = sidecar.received();
    expect(received.at(-1)?.topic).toBe("u");
    expect([...byEntryId(received.slice(0, 2)), received[2]].map((e) => [e?.topic, e?.entryId, e?.metadata])).toEqual([
      ["t", "1", { partitionKey: "a", x: "1", ttlInSeconds: "5", rawPayload: "true" }],
      ["t", "2", {}],
      ["u", undefined, {}],
    ]);
    expect(sidecar.received("pubsub", "u")).toHaveLength(1);
    expect(sidecar.counts()).toEqual([
      { pubsub: "pubsub", topic: "t", count: 2 },
      { pubsub: "pubsub", topic: "u", count: 1 },
    ]);
    sidecar.clear();
    expect(sidecar.received()).toEqual([]);
  });

  it("answers a down broker with daprd's INTERNAL, and a refused topic with its PERMISSION_DENIED, storing nothing", async () => {
    const { sidecar, client } = await start({ faults: { brokerDown: true } });
    const bulk: BulkPublishRequest = {
      pubsub_name: "pubsub",
      topic: "orders",
      metadata: { rawPayload: "true" },
      entries: [
        {
          entry_id: "1",
          event: Buffer.from("a"),
          content_type: "application/cloudevents+protobuf",
          metadata: { partitionKey: "k" },
        },
      ],
    };
    const down = await outcome(client.bulkPublishEvent(bulk));
    expect(down).toMatchObject({ code: ErrorCode.BrokerUnavailable, retryable: true });
    expect((down as BridgeError).message).toContain(
      "INTERNAL: error when publishing to topic orders in pubsub pubsub: ",
    );
    sidecar.setFaults({ brokerDown: false, rejectTopics: { orders: GrpcStatus.PERMISSION_DENIED } });
    const denied = await outcome(client.bulkPublishEvent(bulk));
    expect(denied).toMatchObject({ code: ErrorCode.PermissionDenied, retryable: false });
    expect((denied as BridgeError).message).toContain(
      "PERMISSION_DENIED: topic orders is not allowed for app id dev-sidecar",
    );
    expect(sidecar.received()).toEqual([]);
    expect(sidecar.stats().failuresInjected).toBe(2);
  });

  it("draws failures from its seed: the same seed fails the same calls", async () => {
    const patterns: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { sidecar, client } = await start({
        seed: 1234,
        faults: { failureRate: 0.5, failureCode: GrpcStatus.RESOURCE_EXHAUSTED },
      });
      let pattern = "";
      for (let n = 0; n < 24; n++) {
        const result = await outcome(client.publishEvent(publishRequest("t", n)));
        pattern += result === "ok" ? "." : result.code === ErrorCode.ResourceExhausted ? "x" : "?";
      }
      expect(sidecar.received()).toHaveLength(pattern.split(".").length - 1);
      expect(sidecar.stats().failuresInjected).toBe(pattern.split("x").length - 1);
      patterns.push(pattern);
    }
    expect(patterns[0]).toMatch(/^[.x]+$/);
    expect(patterns[0]).toContain(".");
    expect(patterns[0]).toContain("x");
    expect(patterns[1]).toBe(patterns[0]);
  });

  it("changes faults at run time and rejects bad values naming the field", async () => {
    const { sidecar, client } = await start();
    sidecar.setFaults({ unavailable: true });
    expect(await outcome(client.publishEvent(publishRequest("t", 1)))).toMatchObject({ code: ErrorCode.Unavailable });
    sidecar.setFaults({ unavailable: false, rejectTopics: { t: GrpcStatus.INVALID_ARGUMENT } });
    expect(await outcome(client.publishEvent(publishRequest("t", 2)))).toMatchObject({ code: ErrorCode.Rejected });
    expect(await outcome(client.publishEvent(publishRequest("v", 3)))).toBe("ok");
    expect(sidecar.received().map((e) => e.topic)).toEqual(["v"]);
    expect(() => sidecar.setFaults({ failureRate: 1.5 })).toThrow(
      /failureRate: expected a number from 0 to 1, got 1.5/,
    );
    expect(sidecar.faults.failureRate).toBe(0);
    expect(() => new DevSidecar({ listen: "nowhere" })).toThrow(/listen: expected HOST:PORT/);
  });

  it("waitFor resolves on a condition, and rejects on timeout and on abort", async () => {
    const { sidecar, client } = await start();
    const waiting = sidecar.waitFor((events) => events.some((e) => e.topic === "b"), { timeoutMs: 10_000 });
    await client.publishEvent(publishRequest("a", 1));
    await client.publishEvent(publishRequest("b", 2));
    expect((await waiting).map((e) => e.topic)).toEqual(["a", "b"]);
    expect(await outcome(sidecar.waitFor(3, { timeoutMs: 20 }))).toMatchObject({ code: ErrorCode.DeadlineExceeded });
    const controller = new AbortController();
    const aborted = outcome(sidecar.waitFor(3, { signal: controller.signal }));
    controller.abort();
    expect(await aborted).toMatchObject({ code: ErrorCode.Aborted });
  });

  it("requires the API token when one is set; GetMetadata too", async () => {
    const { sidecar, port } = await start({ apiToken: "t0ken" });
    const anonymous = new DaprRuntimeClient({ endpoint: `127.0.0.1:${port}` });
    const known = new DaprRuntimeClient({ endpoint: `dns:127.0.0.1:${port}`, apiToken: "t0ken" });
    open.push(anonymous, known);
    expect(await outcome(anonymous.getMetadata())).toMatchObject({ code: ErrorCode.Unauthenticated, retryable: true });
    expect((await known.getMetadata()).id).toBe("dev-sidecar");
    expect(sidecar.stats()).toMatchObject({ calls: 2, unauthenticated: 1 });
  });
});

describe("dev-sidecar flags", () => {
  it("parses good values", () => {
    const options = devSidecarOptionsFromFlags(
      {
        listen: "0.0.0.0:0",
        print: true,
        failureRate: "0.3",
        failureCode: "unavailable",
        latencyMs: "5",
        apiTokenEnv: true,
        seed: "9",
        daprVersion: "1.16.5",
        brokerDown: true,
        rejectTopics: "a, b",
      },
      { DAPR_API_TOKEN: "abc" },
    );
    expect(options).toEqual({
      listen: "0.0.0.0:0",
      print: true,
      faults: {
        failureRate: 0.3,
        failureCode: GrpcStatus.UNAVAILABLE,
        latencyMs: 5,
        brokerDown: true,
        rejectTopics: { a: GrpcStatus.PERMISSION_DENIED, b: GrpcStatus.PERMISSION_DENIED },
      },
      apiToken: "abc",
      daprVersion: "1.16.5",
      seed: 9,
    });
    expect(devSidecarOptionsFromFlags({ listen: "h:1", failureCode: "8" }).faults).toEqual({ failureCode: 8 });
  });

  it.each([
    [{ failureRate: "2" }, /--failure-rate: expected a number from 0 to 1, got "2"/],
    [{ failureCode: "NOPE" }, /--failure-code: expected .*, got "NOPE"/],
    [{ latencyMs: "-1" }, /--latency-ms: expected .*, got "-1"/],
    [{ seed: "1.5" }, /--seed: expected an integer, got "1.5"/],
    [{ apiTokenEnv: "MISSING_TOKEN_VAR" }, /--api-token-env: expected environment variable MISSING_TOKEN_VAR/],
    [{ rejectTopics: "a,,b" }, /--reject-topics: expected comma-separated topic names, got "a,,b"/],
    [{ daprVersion: "1 16" }, /--dapr-version: expected a daprd version such as 1.16.5, got "1 16"/],
    [{ listen: "50001" }, /--listen: expected HOST:PORT, got "50001"/],
  ])("rejects %o", (flags, message) => {
    expect(() => devSidecarOptionsFromFlags({ listen: "127.0.0.1:0", ...flags }, {})).toThrow(message);
  });

  it("exits with status 2 and a message naming the flag on a bad value", async () => {
    const errors: string[] = [];
    const command = devSidecarCommand()
      .exitOverride()
      .configureOutput({ writeErr: (text) => errors.push(text) });
    await expect(command.parseAsync(["--latency-ms", "soon"], { from: "user" })).rejects.toMatchObject({ exitCode: 2 });
    expect(errors.join("")).toContain('--latency-ms: expected milliseconds, 0 or more, got "soon"');
  });
});
