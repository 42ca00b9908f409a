import { writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { parseFrame } from "../../src/cloudevents/frame.js";
import { toProto3Json } from "../../src/cloudevents/proto-json.js";
import { toBase64 } from "../../src/cloudevents/base64.js";
import { compareDelivery, type DeliveryReport, type ReceivedPayload } from "../../src/devtools/delivery-check.js";
import {
  startRedis,
  startNats,
  createRabbitVhost,
  type TestRedis,
  type TestNats,
} from "../../src/devtools/local-brokers.js";
import {
  pubsubComponent,
  startDaprd,
  subscription,
  writeResources,
  type DaprLine,
  type DaprResource,
  type TestDaprd,
} from "../../src/devtools/local-dapr.js";
import { bridgeType, TypeName } from "../../src/proto/protos.js";
import { decodeDelivery } from "../../src/consumer/decode-delivery.js";
import type { Delivery } from "../../src/consumer/delivery.js";
import { spawnBridge, type BridgeProcess } from "./bridge-process.js";
import { tempDir } from "./config.js";
import { startGrpcSubscriber, startHttpSubscriber, type AppDelivery, type SubscriberApp } from "./subscribers.js";
import type { SentFrame } from "../../src/devtools/delivery-check.js";

/** The topics of the real path: workflow events in the protobuf format, actor events in JSON. */
export const PROTO_TOPIC = "dapr-events";
export const JSON_TOPIC = "dapr-events-json";
export const DEAD_LETTER_TOPIC = "dapr-events-deadletter";
/** The routes that send actor events to {@link JSON_TOPIC} as JSON. */
export const JSON_ROUTE = "/json";
export const PROTO_ROUTE = "/proto";
export const DEAD_LETTER_ROUTE = "/deadletter";
export const BRIDGE_APP_ID = "event-bridge";

/** Which broker the pubsub component named `pubsub` uses. */
export type BrokerKind = "redis" | "rabbitmq" | "jetstream";

/** Options of {@link startRealPath}. */
export interface RealPathOptions {
  readonly line: DaprLine;
  /** @default "redis" */
  readonly broker?: BrokerKind;
  /** Subscriber apps, each behind its own daprd. @default ["http", "grpc"] */
  readonly subscribers?: readonly ("http" | "grpc")[];
  /** The pubsub component's `publishingScopes` for the bridge's app id, e.g. to refuse a topic. */
  readonly bridgeTopics?: readonly string[];
  /** More bridge flags. */
  readonly bridgeFlags?: readonly string[];
  /** More bridge config (YAML keys), merged over the routes. */
  readonly bridgeConfig?: Readonly<Record<string, unknown>>;
  /** Redis keeps its data across a stop and restart (append-only file). @default false */
  readonly persistentRedis?: boolean;
  /** Start the bridge before its daprd (the daprd starts when {@link RealPath.startPublisherSidecar} is called). */
  readonly bridgeFirst?: boolean;
}

/** A subscriber app and its sidecar. */
export interface RealSubscriber {
  readonly app: SubscriberApp;
  readonly daprd: TestDaprd;
}

/**
 * The whole real path: bridge → daprd → broker → daprd → subscriber apps (HTTP and gRPC), each
 * process on loopback and free ports; {@link RealPath.close} stops everything.
 */
export interface RealPath {
  readonly line: DaprLine;
  readonly redis: TestRedis | undefined;
  readonly bridge: BridgeProcess;
  readonly spoolDir: string;
  readonly subscribers: readonly RealSubscriber[];
  /** The bridge's daprd (undefined until started when `bridgeFirst`). */
  publisher(): TestDaprd | undefined;
  /** Starts (or restarts, on the same gRPC port) the bridge's daprd. */
  startPublisherSidecar(): Promise<TestDaprd>;
  close(): Promise<void>;
}

function bridgeResources(pubsub: DaprResource): DaprResource[] {
  return [pubsub];
}

function subscriberResources(pubsub: DaprResource, appId: string): DaprResource[] {
  return [
    pubsub,
    subscription(`${appId}-proto`, {
      pubsub: "pubsub",
      topic: PROTO_TOPIC,
      route: PROTO_ROUTE,
      rawPayload: true,
      scopes: [appId],
    }),
    subscription(`${appId}-json`, {
      pubsub: "pubsub",
      topic: JSON_TOPIC,
      route: JSON_ROUTE,
      rawPayload: false,
      scopes: [appId],
    }),
    subscription(`${appId}-dead`, {
      pubsub: "pubsub",
      topic: DEAD_LETTER_TOPIC,
      route: DEAD_LETTER_ROUTE,
      rawPayload: true,
      scopes: [appId],
    }),
  ];
}

/** Starts the real path and waits until every part is healthy. */
export async function startRealPath(options: RealPathOptions): Promise<RealPath> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const close = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch {
        // keep closing the rest
      }
    }
  };
  try {
    const broker = options.broker ?? "redis";
    let redis: TestRedis | undefined;
    let nats: TestNats | undefined;
    const scopes =
      options.bridgeTopics === undefined
        ? {}
        : { publishingScopes: `${BRIDGE_APP_ID}=${options.bridgeTopics.join(",")}` };
    let pubsub: DaprResource;
    if (broker === "redis") {
      redis = await startRedis({ persistent: options.persistentRedis ?? false });
      cleanups.push(() => redis?.close());
      // One worker per subscriber sidecar, so subscribers see the broker's (per-key) order.
      pubsub = pubsubComponent("pubsub", "pubsub.redis", { redisHost: redis.address, concurrency: "1", ...scopes });
    } else if (broker === "jetstream") {
      nats = await startNats();
      cleanups.push(() => nats?.stop());
      await nats.createStream("bridge", [PROTO_TOPIC, JSON_TOPIC, DEAD_LETTER_TOPIC]);
      pubsub = pubsubComponent("pubsub", "pubsub.jetstream", {
        natsURL: nats.url,
        streamName: "bridge",
        concurrencyMode: "single",
        ...scopes,
      });
    } else {
      const vhost = await createRabbitVhost();
      cleanups.push(() => vhost.remove());
      pubsub = pubsubComponent("pubsub", "pubsub.rabbitmq", {
        connectionString: vhost.url,
        durable: "false",
        deletedWhenUnused: "true",
        concurrencyMode: "single",
        ...scopes,
      });
    }

    const subscribers: RealSubscriber[] = [];
    for (const [index, protocol] of (options.subscribers ?? ["http", "grpc"]).entries()) {
      const appId = `subscriber-${protocol}-${index}`;
      const app = protocol === "http" ? await startHttpSubscriber() : await startGrpcSubscriber();
      cleanups.push(() => app.close());
      const resources = writeResources(subscriberResources(pubsub, appId));
      cleanups.push(resources.remove);
      const daprd = await startDaprd({
        line: options.line,
        appId,
        resourcesPath: resources.dir,
        appPort: app.port,
        appProtocol: protocol,
      });
      cleanups.push(() => daprd.stop());
      subscribers.push({ app, daprd });
    }

    const resources = writeResources(bridgeResources(pubsub));
    cleanups.push(resources.remove);
    let publisher: TestDaprd | undefined;
    let publisherPort: number | undefined;
    const startPublisherSidecar = async (): Promise<TestDaprd> => {
      const sidecar = await startDaprd({
        line: options.line,
        appId: BRIDGE_APP_ID,
        resourcesPath: resources.dir,
        ...(publisherPort === undefined ? {} : { grpcPort: publisherPort }),
      });
      publisherPort = sidecar.grpcPort;
      publisher = sidecar;
      cleanups.push(() => sidecar.stop());
      return sidecar;
    };
    let endpoint: string;
    if (options.bridgeFirst === true) {
      const { freePort } = await import("../../src/devtools/local-processes.js");
      publisherPort = await freePort();
      endpoint = `127.0.0.1:${publisherPort}`;
    } else {
      endpoint = (await startPublisherSidecar()).grpcAddress;
    }

    const spool = tempDir("bridge-real-spool-");
    cleanups.push(spool.remove);
    const configFile = path.join(spool.dir, "bridge.yaml");
    writeFileSync(
      configFile,
      stringify({
        routes: [
          { name: "actors-json", filter: { prefix: { type: "io.dapr.actors." } }, topic: JSON_TOPIC, format: "json" },
        ],
        ...options.bridgeConfig,
      }),
    );
    const spoolDir = path.join(spool.dir, "spool");
    const bridge = await spawnBridge([
      "--config",
      configFile,
      "--listen",
      "127.0.0.1:0",
      "--metrics-listen",
      "",
      "--dapr-grpc-endpoint",
      endpoint,
      "--spool-dir",
      spoolDir,
      "--pubsub",
      "pubsub",
      "--topic",
      PROTO_TOPIC,
      "--dead-letter-topic",
      DEAD_LETTER_TOPIC,
      "--log-level",
      "info",
      "--retry-initial-backoff",
      "20ms",
      "--retry-max-backoff",
      "1s",
      ...(options.bridgeFlags ?? []),
    ]);
    cleanups.push(async () => {
      await bridge.stop();
    });
    return {
      line: options.line,
      redis,
      bridge,
      spoolDir,
      subscribers,
      publisher: () => publisher,
      startPublisherSidecar,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The deliveries of one route. */
export function deliveriesOf(subscriber: RealSubscriber, route: string): AppDelivery[] {
  return subscriber.app.deliveries.filter((delivery) => delivery.route === route);
}

/**
 * The protobuf CloudEvent bytes of a raw-subscription delivery: gRPC subscribers get them in
 * `data`; HTTP subscribers get a CloudEvent daprd made around them, with the bytes in `data_base64`.
 */
export function rawCloudEventBytes(delivery: AppDelivery): ReceivedPayload {
  if (delivery.headers["content-type"] === undefined)
    return { data: delivery.body, contentType: "application/cloudevents+protobuf" };
  const envelope = JSON.parse(delivery.body.toString("utf8")) as { data_base64?: unknown };
  if (typeof envelope.data_base64 !== "string") {
    throw new Error(`a raw HTTP delivery without data_base64: ${delivery.body.toString("utf8").slice(0, 300)}`);
  }
  return { data: Buffer.from(envelope.data_base64, "base64"), contentType: "application/cloudevents+protobuf" };
}

/** What the consumer helper makes of one delivery, as a subscriber would call it. */
export function consumerDecode(delivery: AppDelivery): Delivery {
  if (delivery.headers["content-type"] !== undefined)
    return decodeDelivery(JSON.parse(delivery.body.toString("utf8")) as object);
  if (delivery.route === JSON_ROUTE) {
    // gRPC, plain subscription: daprd sends the envelope's attributes beside the JSON `data`.
    const envelope = delivery.envelope ?? {};
    const extensions = (envelope["extensions"] ?? {}) as Record<string, unknown>;
    return decodeDelivery({
      ...extensions,
      id: envelope["id"],
      source: envelope["source"],
      type: envelope["type"],
      specversion: envelope["spec_version"],
      datacontenttype: delivery.contentType,
      data: JSON.parse(delivery.body.toString("utf8")) as unknown,
    });
  }
  return decodeDelivery(delivery.body);
}

/** The workflow (protobuf topic) and actor (JSON topic) frames of what an emitter sent. */
export function splitSent(sent: readonly (SentFrame & { family: string })[]): {
  workflows: SentFrame[];
  actors: SentFrame[];
} {
  return {
    workflows: sent.filter((frame) => frame.family === "workflow"),
    actors: sent.filter((frame) => frame.family === "actor"),
  };
}

/** Compares raw-subscription deliveries with the sent frames, by the events' bytes. */
export function compareRaw(sent: readonly SentFrame[], deliveries: readonly AppDelivery[]): DeliveryReport {
  return compareDelivery(sent, deliveries.map(rawCloudEventBytes));
}

/** JSON with object keys sorted: daprd re-serialises JSON envelopes (Go maps), which reorders keys. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === "object" && !Array.isArray(item)
      ? Object.fromEntries(
          Object.entries(item as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : item,
  );
}

/** The result of {@link compareJson}. */
export interface JsonReport {
  readonly sent: number;
  readonly missing: number;
  readonly unexpected: number;
  readonly outOfOrderKeys: readonly string[];
}

/**
 * Compares JSON-format deliveries, decoded by the consumer helper, with the sent frames: each sent
 * event, rendered as proto3 JSON, must arrive, and per partition key in the order sent.
 */
export function compareJson(sent: readonly SentFrame[], deliveries: readonly AppDelivery[]): JsonReport {
  const actorsType = bridgeType(TypeName.ActorsEvent);
  const workflowsType = bridgeType(TypeName.WorkflowsEvent);
  const expected = new Map<string, number[]>();
  sent.forEach((frame, index) => {
    const parsed = parseFrame(frame.bytes);
    const type = parsed.member === "actor" ? actorsType : workflowsType;
    const json = canonicalJson(toProto3Json(type, type.decode(parsed.bytes)));
    expected.set(json, [...(expected.get(json) ?? []), index]);
  });
  const seen = new Set<string>();
  const taken = new Set<number>();
  const arrival: number[] = [];
  let unexpected = 0;
  for (const delivery of deliveries) {
    const decoded = consumerDecode(delivery);
    if (seen.has(decoded.source + decoded.id)) continue;
    seen.add(decoded.source + decoded.id);
    const json = canonicalJson("event" in decoded ? decoded.event : toBase64(decoded.data));
    const index = (expected.get(json) ?? []).find((i) => !taken.has(i));
    if (index === undefined) {
      unexpected++;
      continue;
    }
    taken.add(index);
    arrival.push(index);
  }
  const last = new Map<string, number>();
  const outOfOrder = new Set<string>();
  for (const index of arrival) {
    const key = (sent[index] as SentFrame).key;
    if ((last.get(key) ?? -1) > index) outOfOrder.add(key);
    last.set(key, index);
  }
  return { sent: sent.length, missing: sent.length - taken.size, unexpected, outOfOrderKeys: [...outOfOrder] };
}
