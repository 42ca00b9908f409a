import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Client, credentials, Metadata, status as GrpcStatus, type ServiceError } from "@grpc/grpc-js";
import { DevSidecar } from "../../src/devtools/dev-sidecar.js";
import { startRedis, type TestRedis } from "../../src/devtools/local-brokers.js";
import {
  pubsubComponent,
  realDaprSupport,
  startDaprd,
  writeResources,
  type DaprLine,
  type TestDaprd,
} from "../../src/devtools/local-dapr.js";
import { stopAllProcesses, waitFor } from "../../src/devtools/local-processes.js";
import {
  daprMethodCodec,
  type DaprRuntimeMethod,
  type DaprRuntimeMethods,
} from "../../src/publish/dapr-runtime-client.js";
import { describeRealDapr } from "../helpers/daprd.js";

// One conformance suite, run against the dev sidecar and against real daprd, of both lines, so that
// the stand-in cannot drift from what daprd does. Each case calls the runtime API directly and
// reads back what reached the broker: the dev sidecar's store, or the Redis stream that daprd's
// pubsub.redis writes (named after the topic).

const APP_ID = "conformance-app";
const TOKEN = "conformance-token";
const ALLOWED = ["raw-bulk", "raw-single", "wrapped", "json-entry", "outage"];
const FORBIDDEN = "forbidden";

/** A sidecar under test, and what its broker received. */
interface Target {
  readonly address: string;
  published(topic: string): Promise<Buffer[]>;
  breakBroker(): Promise<void>;
  healBroker(): Promise<void>;
  close(): Promise<void>;
}

interface CallResult<R> {
  readonly code: GrpcStatus;
  readonly details: string;
  readonly response: R | undefined;
}

/** One runtime API call with grpc-js, reporting the status as it came (no classification). */
function call<M extends DaprRuntimeMethod>(
  address: string,
  method: M,
  request: DaprRuntimeMethods[M]["request"],
  token: string = TOKEN,
): Promise<CallResult<DaprRuntimeMethods[M]["response"]>> {
  const codec = daprMethodCodec(method);
  const client = new Client(address, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set("dapr-api-token", token);
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      codec.path,
      codec.serializeRequest,
      codec.deserializeResponse,
      request,
      metadata,
      { deadline: Date.now() + 10_000 },
      (error: ServiceError | null, response?: DaprRuntimeMethods[M]["response"]) => {
        client.close();
        resolve({ code: error?.code ?? GrpcStatus.OK, details: error?.details ?? "", response });
      },
    );
  });
}

/** Buffers in a fixed order (by their base64), to compare what arrives in no guaranteed order. */
function sorted(buffers: readonly Buffer[]): Buffer[] {
  return [...buffers].sort((a, b) => a.toString("base64").localeCompare(b.toString("base64")));
}

const PAYLOADS = [Buffer.from([0x0a, 0x03, 0x61, 0x62, 0x63, 0x00, 0xff]), Buffer.from([0x12, 0x00, 0x80, 0x01])];

function bulk(
  topic: string,
  requestMetadata: Record<string, string>,
  entryMetadata: Record<string, string>,
  contentType = "application/cloudevents+protobuf",
) {
  return {
    pubsub_name: "pubsub",
    topic,
    entries: PAYLOADS.map((event, index) => ({
      entry_id: String(index),
      event,
      content_type: contentType,
      metadata: entryMetadata,
    })),
    metadata: requestMetadata,
  };
}

async function devTarget(version: string): Promise<Target> {
  const sidecar = new DevSidecar({
    listen: "127.0.0.1:0",
    apiToken: TOKEN,
    daprVersion: version,
    appId: APP_ID,
    // daprd's publishingScopes allow ALLOWED only; the stand-in refuses the one topic the cases try.
    faults: { rejectTopics: { [FORBIDDEN]: GrpcStatus.PERMISSION_DENIED } },
  });
  const { address } = await sidecar.start();
  return {
    address,
    published: (topic) => Promise.resolve(sidecar.received("pubsub", topic).map((item) => Buffer.from(item.data))),
    breakBroker: () => Promise.resolve(sidecar.setFaults({ brokerDown: true })),
    healBroker: () => Promise.resolve(sidecar.setFaults({ brokerDown: false })),
    close: () => sidecar.close(),
  };
}

async function realTarget(line: DaprLine): Promise<Target> {
  const redis: TestRedis = await startRedis();
  const resources = writeResources([
    pubsubComponent("pubsub", "pubsub.redis", {
      redisHost: redis.address,
      publishingScopes: `${APP_ID}=${ALLOWED.join(",")}`,
    }),
  ]);
  const daprd: TestDaprd = await startDaprd({ line, appId: APP_ID, resourcesPath: resources.dir, apiToken: TOKEN });
  return {
    address: daprd.grpcAddress,
    published: async (topic) => {
      const exists = await redis.streamPayloads(topic).catch(() => []);
      return exists;
    },
    breakBroker: () => redis.stop(),
    healBroker: async () => {
      await redis.restart();
      // daprd's Redis client reconnects on its own; wait until a publish goes through again.
      await waitFor(
        async () =>
          (await call(daprd.grpcAddress, "PublishEvent", single("outage", { rawPayload: "true" }))).code ===
          GrpcStatus.OK,
        {
          what: "daprd publishing to Redis again",
        },
      );
    },
    close: async () => {
      await daprd.stop();
      await redis.close();
      resources.remove();
    },
  };
}

function single(topic: string, metadata: Record<string, string>) {
  return {
    pubsub_name: "pubsub",
    topic,
    data: PAYLOADS[0] as Buffer,
    data_content_type: "application/cloudevents+protobuf",
    metadata,
  };
}

/** The cases, the same for every target. */
function conformanceCases(version: string, start: () => Promise<Target>): void {
  let target: Target;
  const stable = !version.startsWith("1.16");
  beforeAll(async () => {
    target = await start();
  }, 60_000);
  afterAll(async () => {
    await target?.close();
  });

  it("GetMetadata reports the runtime version", async () => {
    const result = await call(target.address, "GetMetadata", {});
    expect(result.code).toBe(GrpcStatus.OK);
    expect(result.response?.runtime_version).toBe(version);
  });

  it(
    stable
      ? "BulkPublishEvent (stable) publishes"
      : "BulkPublishEvent is absent: the proxy's UNKNOWN, not UNIMPLEMENTED",
    async () => {
      const result = await call(
        target.address,
        "BulkPublishEvent",
        bulk("raw-bulk", { rawPayload: "true" }, { partitionKey: "k" }),
      );
      if (stable) {
        expect(result.code).toBe(GrpcStatus.OK);
        expect(result.response?.failedEntries).toEqual([]);
      } else {
        expect(result.code).toBe(GrpcStatus.UNKNOWN);
        expect(result.details).toMatch(
          /failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found/,
        );
      }
    },
  );

  it("request-level rawPayload: the broker gets the bytes as sent, bulk and single", async () => {
    const bulkResult = await call(
      target.address,
      "BulkPublishEventAlpha1",
      bulk("raw-bulk", { rawPayload: "true" }, { partitionKey: "k" }),
    );
    expect(bulkResult.code).toBe(GrpcStatus.OK);
    const singleResult = await call(target.address, "PublishEvent", single("raw-single", { rawPayload: "true" }));
    expect(singleResult.code).toBe(GrpcStatus.OK);
    // daprd publishes a bulk call's entries in parallel (no order among them) unless the component has a bulk API.
    expect(sorted((await target.published("raw-bulk")).slice(-2))).toEqual(sorted(PAYLOADS));
    expect(await target.published("raw-single")).toEqual([PAYLOADS[0]]);
  });

  it("rawPayload on the entry only: the broker gets daprd's com.dapr.event.sent JSON envelope", async () => {
    const result = await call(
      target.address,
      "BulkPublishEventAlpha1",
      bulk("wrapped", {}, { rawPayload: "true", partitionKey: "k" }),
    );
    expect(result.code).toBe(GrpcStatus.OK);
    const published = await target.published("wrapped");
    expect(published).toHaveLength(2);
    const envelopes = published.map((bytes) => JSON.parse(bytes.toString("utf8")) as Record<string, unknown>);
    envelopes.sort((a, b) => String(a["data_base64"]).localeCompare(String(b["data_base64"])));
    sorted(PAYLOADS).forEach((payload, index) => {
      const envelope = envelopes[index] as Record<string, unknown>;
      expect(Object.keys(envelope).sort()).toEqual(
        [
          "data_base64",
          "datacontenttype",
          "id",
          "pubsubname",
          "source",
          "specversion",
          "time",
          "topic",
          "traceid",
          "traceparent",
          "tracestate",
          "type",
        ].sort(),
      );
      expect(envelope).toMatchObject({
        type: "com.dapr.event.sent",
        specversion: "1.0",
        source: APP_ID,
        topic: "wrapped",
        pubsubname: "pubsub",
        datacontenttype: "application/cloudevents+protobuf",
        data_base64: payload.toString("base64"),
      });
    });
  });

  it("a JSON CloudEvent entry is kept, with topic and pubsubname set and its own traceid", async () => {
    const event = {
      specversion: "1.0",
      id: "e1",
      source: "/s",
      type: "t",
      traceid: "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
      data: { a: 1 },
    };
    const request = {
      pubsub_name: "pubsub",
      topic: "json-entry",
      entries: [
        {
          entry_id: "0",
          event: Buffer.from(JSON.stringify(event)),
          content_type: "application/cloudevents+json",
          metadata: { partitionKey: "k" },
        },
      ],
      metadata: {},
    };
    expect((await call(target.address, "BulkPublishEventAlpha1", request)).code).toBe(GrpcStatus.OK);
    const [published] = await target.published("json-entry");
    const envelope = JSON.parse(String(published)) as Record<string, unknown>;
    expect(envelope).toMatchObject({ ...event, topic: "json-entry", pubsubname: "pubsub" });
  });

  it("a topic outside publishingScopes: PERMISSION_DENIED", async () => {
    const result = await call(target.address, "BulkPublishEventAlpha1", bulk(FORBIDDEN, { rawPayload: "true" }, {}));
    expect(result.code).toBe(GrpcStatus.PERMISSION_DENIED);
    expect(result.details).toContain(`topic ${FORBIDDEN} is not allowed for app id ${APP_ID}`);
  });

  it("a wrong API token: UNAUTHENTICATED", async () => {
    const result = await call(
      target.address,
      "PublishEvent",
      single("raw-single", { rawPayload: "true" }),
      "wrong-token",
    );
    expect(result.code).toBe(GrpcStatus.UNAUTHENTICATED);
  });

  it("the broker down: INTERNAL for bulk and single publishes (no failedEntries over gRPC), then publishing again", async () => {
    await target.breakBroker();
    try {
      const bulkResult = await call(
        target.address,
        "BulkPublishEventAlpha1",
        bulk("outage", { rawPayload: "true" }, {}),
      );
      expect(bulkResult.code).toBe(GrpcStatus.INTERNAL);
      expect(bulkResult.response).toBeUndefined();
      const singleResult = await call(target.address, "PublishEvent", single("outage", { rawPayload: "true" }));
      expect(singleResult.code).toBe(GrpcStatus.INTERNAL);
      expect(singleResult.details).toMatch(/error when publishing to topic outage in pubsub pubsub/);
    } finally {
      await target.healBroker();
    }
    expect((await call(target.address, "PublishEvent", single("outage", { rawPayload: "true" }))).code).toBe(
      GrpcStatus.OK,
    );
  }, 60_000);
}

const VERSIONS: Record<DaprLine, string> = {
  "1.18": realDaprSupport().daprd["1.18"]?.version ?? "1.18.2",
  "1.16": realDaprSupport().daprd["1.16"]?.version ?? "1.16.5",
};

for (const line of ["1.18", "1.16"] as const) {
  describe(`conformance: the dev sidecar as daprd ${VERSIONS[line]}`, () => {
    conformanceCases(VERSIONS[line], () => devTarget(VERSIONS[line]));
  });
  describeRealDapr(`conformance: real daprd ${VERSIONS[line]} with Redis`, () => {
    conformanceCases(VERSIONS[line], () => realTarget(line));
  });
}

afterAll(stopAllProcesses);
