import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Bridge } from "../bridge.js";
import { resolveConfig } from "../config/load.js";
import { decodeDelivery } from "../consumer/decode-delivery.js";
import { createLogger } from "../observability/logger.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { compareDelivery, type DeliveryReport, type ReceivedPayload, type SentFrame } from "./delivery-check.js";
import { DevSidecar } from "./dev-sidecar.js";
import { emit } from "./emitter.js";
import { startRedis } from "./local-brokers.js";
import { pubsubComponent, realDaprSupport, startDaprd, writeResources } from "./local-dapr.js";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Events in all. @default 4000 */
  readonly count?: number;
  /** Concurrent emitter streams (sidecars). @default 4 */
  readonly streams?: number;
  /** How many decoded CloudEvents to print. @default 5 */
  readonly samples?: number;
  /**
   * Publish through a real daprd (the 1.18 build of `npm run build:daprd`) and a Redis of its own
   * instead of the dev sidecar; "published" then counts what reached the Redis stream.
   * @default false
   */
  readonly real?: boolean;
  /** Where lines go. @default process.stdout */
  readonly out?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** What the demo found. */
export interface DemoResult {
  readonly report: DeliveryReport;
  readonly acknowledged: boolean;
  /** Whether the demo succeeded: every stream acknowledged and nothing missing. */
  readonly ok: boolean;
}

/**
 * The bridge end to end on its embedded defaults: a dev sidecar (or, with `real`, a real daprd
 * and Redis), the bridge (durable spool in a temporary folder) and the emitter on free loopback ports. Sends `count` events,
 * then compares what the emitter sent with what the sidecar received, by the events' bytes.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const count = options.count ?? 4000;
  const streams = options.streams ?? 4;
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const spoolDir = await mkdtemp(path.join(tmpdir(), "dapr-event-bridge-demo-"));
  let target: PublishTarget | undefined;
  let bridge: Bridge | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    target = options.real === true ? await realTarget(out) : await devTarget();
    const sidecarAddress = target.address;
    const config = resolveConfig({
      flags: { listen: "127.0.0.1:0", daprGrpcEndpoint: sidecarAddress, spoolDir, metricsListen: "", logLevel: "warn" },
      env: {},
    });
    bridge = new Bridge(config, { logger: createLogger({ level: "warn" }) });
    const sink = await bridge.start();
    out(
      `${target.description} on ${sidecarAddress}; bridge sink on ${sink} (spool ${spoolDir}); sending ${count} events on ${streams} streams`,
    );
    const sent: SentFrame[] = [];
    const publishTarget = target;
    const received = async (): Promise<readonly ReceivedPayload[]> =>
      publishTarget.received(config.pubsub, config.topic);
    let published = 0;
    ticker = setInterval(() => {
      out(`  … sent ${sent.length}, published ${published}`);
      void received().then(
        (items) => (published = items.length),
        () => undefined,
      );
    }, 500);
    const perStream = Math.ceil(count / streams);
    const result = await emit({
      target: sink,
      streams,
      count: perStream,
      appId: "demo-app",
      onSent: (frame) => sent.push({ bytes: frame.bytes, key: frame.event?.key ?? "" }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    await waitForCount(received, sent.length, 60_000, options.signal);
    clearInterval(ticker);
    ticker = undefined;
    await bridge.drain(5_000);
    const arrived = await received();
    const report = compareDelivery(sent, arrived);
    printSamples(arrived, options.samples ?? 5, out);
    printCounts(arrived, out);
    if (!result.acknowledged)
      out(`the emitter's streams were not all acknowledged: ${result.error?.message ?? "unknown reason"}`);
    if (report.outOfOrderKeys.length > 0) out(`keys out of order: ${report.outOfOrderKeys.slice(0, 5).join(", ")}`);
    out(
      `sent ${report.sent}, published ${report.published}, missing ${report.missing}, duplicates ${report.duplicates}`,
    );
    return { report, acknowledged: result.acknowledged, ok: result.acknowledged && report.missing === 0 };
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    await bridge?.close();
    await target?.close();
    await rm(spoolDir, { recursive: true, force: true });
  }
}

/** Where the demo's bridge publishes, and how to read back what arrived. */
interface PublishTarget {
  readonly description: string;
  /** The gRPC address of the sidecar the bridge publishes through. */
  readonly address: string;
  received(pubsub: string, topic: string): Promise<readonly ReceivedPayload[]> | readonly ReceivedPayload[];
  close(): Promise<void>;
}

async function devTarget(): Promise<PublishTarget> {
  const sidecar = new DevSidecar({ listen: "127.0.0.1:0" });
  const { address } = await sidecar.start();
  return {
    description: "dev sidecar",
    address,
    received: (pubsub, topic) => sidecar.received(pubsub, topic),
    close: () => sidecar.close(),
  };
}

/** A Redis and a real daprd of the demo's own, on free loopback ports. */
async function realTarget(out: (line: string) => void): Promise<PublishTarget> {
  const support = realDaprSupport();
  const build = support.daprd["1.18"];
  if (build === undefined || support.missing !== undefined) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `demo --real needs the real daprd build and redis-server: ${support.missing ?? "daprd 1.18 is not built"}`,
    );
  }
  out(`starting redis-server and daprd ${build.version} (${build.binary})`);
  const redis = await startRedis();
  const resources = writeResources([pubsubComponent("pubsub", "pubsub.redis", { redisHost: redis.address })]);
  try {
    const daprd = await startDaprd({ line: "1.18", appId: "dapr-event-bridge-demo", resourcesPath: resources.dir });
    return {
      description: `daprd ${daprd.version} with Redis ${redis.address}`,
      address: daprd.grpcAddress,
      // What reached the broker: the Redis stream daprd's pubsub.redis writes, named after the topic.
      received: async (_pubsub, topic) =>
        (await redis.streamPayloads(topic)).map((data) => ({ data, contentType: "application/cloudevents+protobuf" })),
      close: async () => {
        await daprd.stop();
        await redis.close();
        resources.remove();
      },
    };
  } catch (error) {
    await redis.close();
    resources.remove();
    throw error;
  }
}

/** Polls `received` until it holds `count` items, the signal aborts or `timeoutMs` passes. */
async function waitForCount(
  received: () => Promise<readonly ReceivedPayload[]>,
  count: number,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && signal?.aborted !== true) {
    if ((await received()).length >= count) return;
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}

function printSamples(
  received: ReadonlyArray<{ data: Uint8Array }>,
  samples: number,
  out: (line: string) => void,
): void {
  out("a few of the CloudEvents the sidecar received, decoded:");
  const step = Math.max(1, Math.floor(received.length / Math.max(1, samples)));
  for (let i = 0; i < received.length && i / step < samples; i += step) {
    const event = decodeDelivery((received[i] as { data: Uint8Array }).data);
    out(
      `  ${event.type}  source=${event.source}  subject=${event.subject ?? "-"}  id=${event.id}  time=${event.time ?? "-"}`,
    );
  }
}

function printCounts(received: ReadonlyArray<{ data: Uint8Array }>, out: (line: string) => void): void {
  const counts = new Map<string, number>();
  for (const item of received) {
    const type = decodeDelivery(item.data).type;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  out("count per type:");
  for (const [type, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) out(`  ${type.padEnd(40)} ${n}`);
}
