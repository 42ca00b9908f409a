import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Bridge } from "../bridge.js";
import { resolveConfig } from "../config/load.js";
import { decodeDelivery } from "../consumer/decode-delivery.js";
import { createLogger } from "../observability/logger.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { Monitor } from "../monitor/monitor.js";
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
  /**
   * Also run the monitor (`dapr-event-bridge monitor`) fed by the demo's events: delivered by the
   * dev sidecar, or with `real` by a daprd of the monitor's own reading the same Redis. The demo
   * checks that the monitor applied every event and prints its URL. @default true
   */
  readonly monitor?: boolean;
  /** Where the monitor listens, `HOST:PORT`. @default "127.0.0.1:0" (a free port) */
  readonly monitorListen?: string;
  /**
   * Keep the monitor running after the demo, for a person to open its URL, until `signal` aborts
   * (the CLI aborts it on Ctrl-C). @default false
   */
  readonly keepOpen?: boolean;
  /** Where lines go. @default process.stdout */
  readonly out?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** What the demo found. */
export interface DemoResult {
  readonly report: DeliveryReport;
  readonly acknowledged: boolean;
  /** What the monitor applied, and its URL; undefined when the demo ran without it. */
  readonly monitor?: { readonly url: string; readonly ingested: number; readonly instances: number };
  /** Whether the demo succeeded: every stream acknowledged, nothing missing, and the monitor saw every event. */
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
  let monitor: Monitor | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    let monitorApp: { url: string; port: number } | undefined;
    if (options.monitor ?? true) {
      monitor = new Monitor({
        listen: options.monitorListen ?? "127.0.0.1:0",
        db: path.join(spoolDir, "monitor.sqlite"),
        retentionMs: Number.POSITIVE_INFINITY,
      });
      monitorApp = await monitor.start();
    }
    target = options.real === true ? await realTarget(out, monitorApp?.port) : await devTarget(monitorApp?.url);
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
      // Events of the last minutes, so that the monitor's "last hour" views show them.
      sequence: { startTimeMs: Date.now() - 60_000 },
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
    const seen =
      monitor === undefined || monitorApp === undefined
        ? undefined
        : await monitorSummary(monitor, monitorApp.url, sent.length, out, options.signal);
    if (seen !== undefined && options.keepOpen === true) {
      out(`the monitor stays open on ${seen.url} until Ctrl-C`);
    }
    out(
      `sent ${report.sent}, published ${report.published}, missing ${report.missing}, duplicates ${report.duplicates}`,
    );
    if (seen !== undefined && options.keepOpen === true) await aborted(options.signal);
    const ok = result.acknowledged && report.missing === 0 && (seen === undefined || seen.ingested >= sent.length);
    return { report, acknowledged: result.acknowledged, ...(seen === undefined ? {} : { monitor: seen }), ok };
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    await bridge?.close();
    await target?.close();
    await monitor?.close();
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

/**
 * Waits until the monitor has applied `count` events, or until it has applied nothing new for
 * 30 s (a large demo takes longer than that in all), prints what it holds, and returns it.
 */
async function monitorSummary(
  monitor: Monitor,
  url: string,
  count: number,
  out: (line: string) => void,
  signal?: AbortSignal,
): Promise<{ url: string; ingested: number; instances: number }> {
  let seen = monitor.stats().ingested;
  let deadline = Date.now() + 30_000;
  while (monitor.stats().ingested < count && Date.now() < deadline && signal?.aborted !== true) {
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
    const now = monitor.stats().ingested;
    if (now > seen) [seen, deadline] = [now, Date.now() + 30_000];
  }
  const { ingested } = monitor.stats();
  const counts = await monitor.store.statusCounts();
  const byStatus = new Map<string, number>();
  for (const row of counts) byStatus.set(row.status, (byStatus.get(row.status) ?? 0) + row.count);
  const instances = [...byStatus.values()].reduce((sum, n) => sum + n, 0);
  const statuses = [...byStatus].map(([status, n]) => `${n} ${status.toLowerCase()}`).join(", ");
  out(`monitor on ${url}: applied ${ingested} of ${count} events; ${instances} workflow instances (${statuses})`);
  return { url, ingested, instances };
}

/** Resolves when `signal` aborts (never without one). */
function aborted(signal?: AbortSignal): Promise<void> {
  if (signal === undefined) return new Promise<void>(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

async function devTarget(appUrl: string | undefined): Promise<PublishTarget> {
  const sidecar = new DevSidecar({ listen: "127.0.0.1:0", ...(appUrl === undefined ? {} : { appUrl }) });
  const { address } = await sidecar.start();
  return {
    description: "dev sidecar",
    address,
    received: (pubsub, topic) => sidecar.received(pubsub, topic),
    close: () => sidecar.close(),
  };
}

/** A Redis and a real daprd of the demo's own, on free loopback ports. */
async function realTarget(out: (line: string) => void, monitorPort: number | undefined): Promise<PublishTarget> {
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
    // The monitor's own daprd: it reads the monitor's subscription and delivers from the same Redis.
    const monitorDaprd =
      monitorPort === undefined
        ? undefined
        : await startDaprd({
            line: "1.18",
            appId: "dapr-event-bridge-monitor",
            resourcesPath: resources.dir,
            appPort: monitorPort,
          }).catch(async (error: unknown) => {
            await daprd.stop();
            throw error;
          });
    return {
      description: `daprd ${daprd.version} with Redis ${redis.address}`,
      address: daprd.grpcAddress,
      // What reached the broker: the Redis stream daprd's pubsub.redis writes, named after the topic.
      received: async (_pubsub, topic) =>
        (await redis.streamPayloads(topic)).map((data) => ({ data, contentType: "application/cloudevents+protobuf" })),
      close: async () => {
        await monitorDaprd?.stop();
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
