import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { devSidecarCommand, devSidecarOptionsFromFlags } from "../cli/commands/dev-sidecar.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { daprMethodCodec, DaprRuntimeClient, type BulkPublishRequest } from "../publish/dapr-runtime-client.js";
import { DevSidecar, type DevSidecarOptions } from "./dev-sidecar.js";

const open: Array<{ close(): unknown }> = [];

afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function start(options: DevSidecarOptions = {}): Promise<{ sidecar: DevSidecar; client: DaprRuntimeClient; port: number }> {
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
    expect(JSON.parse(event?.data.toString() ?? "null")).toEqual({ order: 42 });
  });

  it("answers UNIMPLEMENTED for methods it does not implement and for bulk methods it is told to hide", async () => {
    const { sidecar, client } = await start({ bulkMethods: "none" });
    const bulk: BulkPublishRequest = { pubsub_name: "p", topic: "t", entries: [], metadata: {} };
    expect(await outcome(client.bulkPublishEvent(bulk))).toMatchObject({ code: ErrorCode.Unimplemented });
    expect(await outcome(client.bulkPublishEventAlpha1(bulk))).toMatchObject({ code: ErrorCode.Unimplemented });
    const raw = new Client(`127.0.0.1:${(await start()).port}`, credentials.createInsecure());
    open.push(raw);
    const codec = daprMethodCodec("GetState");
    const code = await new Promise<number>((resolve) => {
      raw.makeUnaryRequest(codec.path, codec.serializeRequest, codec.deserializeResponse, { store_name: "s", key: "k" }, new Metadata(), {}, (error: ServiceError | null) =>
        resolve(error?.code ?? GrpcStatus.OK),
      );
    });
    expect(code).toBe(GrpcStatus.UNIMPLEMENTED);
    expect(sidecar.stats().calls).toBe(0);
  });

  it("applies request metadata over entry metadata, as Dapr does, and keeps arrival order", async () => {
    const { sidecar, client } = await start();
    await client.bulkPublishEvent({
      pubsub_name: "pubsub",
      topic: "t",
      metadata: { ttlInSeconds: "5", partitionKey: "request" },
      entries: [
        { entry_id: "1", event: Buffer.from("a"), content_type: "text/plain", metadata: { partitionKey: "a", x: "1" } },
        { entry_id: "2", event: Buffer.from("b"), content_type: "application/json", metadata: {} },
      ],
    });
    await client.publishEvent(publishRequest("u", 3));
    expect(sidecar.received().map((e) => [e.topic, e.entryId, e.metadata])).toEqual([
      ["t", "1", { partitionKey: "request", x: "1", ttlInSeconds: "5" }],
      ["t", "2", { partitionKey: "request", ttlInSeconds: "5" }],
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

  it("draws failures from its seed: the same seed fails the same calls", async () => {
    const patterns: string[] = [];
    for (let run = 0; run < 2; run++) {
      const { sidecar, client } = await start({ seed: 1234, faults: { failureRate: 0.5, failureCode: GrpcStatus.RESOURCE_EXHAUSTED } });
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
    expect(() => sidecar.setFaults({ failureRate: 1.5 })).toThrow(/failureRate: expected a number from 0 to 1, got 1.5/);
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
    expect(await outcome(anonymous.getMetadata())).toMatchObject({ code: ErrorCode.PermissionDenied });
    expect((await known.getMetadata()).id).toBe("dev-sidecar");
    expect(sidecar.stats()).toMatchObject({ calls: 2, unauthenticated: 1 });
  });
});

describe("dev-sidecar flags", () => {
  it("parses good values", () => {
    const options = devSidecarOptionsFromFlags(
      { listen: "0.0.0.0:0", print: true, failureRate: "0.3", failureCode: "unavailable", latencyMs: "5", apiTokenEnv: true, seed: "9", bulkMethods: "none" },
      { DAPR_API_TOKEN: "abc" },
    );
    expect(options).toEqual({
      listen: "0.0.0.0:0",
      print: true,
      faults: { failureRate: 0.3, failureCode: GrpcStatus.UNAVAILABLE, latencyMs: 5 },
      apiToken: "abc",
      bulkMethods: "none",
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
    [{ bulkMethods: "some" }, /--bulk-methods: expected both \| alpha-only \| none, got "some"/],
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
