import { Bridge } from "../../src/bridge.js";
import type { EventFormat } from "../../src/cloudevents/record.js";
import { DevSidecar } from "../../src/devtools/dev-sidecar.js";
import { emit } from "../../src/devtools/emitter.js";
import { startRedis, type TestRedis } from "../../src/devtools/local-brokers.js";
import { pubsubComponent, startDaprd, writeResources, type TestDaprd } from "../../src/devtools/local-dapr.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { silentLogger } from "../../src/observability/logger.js";
import { tempDir, testConfig } from "../helpers/config.js";
import { waitUntil } from "../helpers/pipeline.js";

/** Where the bridge publishes and how the monitor is fed: the dev sidecar, or real daprd and Redis. */
export type FeedKind = "dev-sidecar" | "real-daprd";

/** What a person would check in the monitor: everything but ids given at run time and rates. */
export interface MonitorSnapshot {
  readonly instances: ReadonlyArray<Record<string, unknown>>;
  readonly workflows: ReadonlyArray<Record<string, unknown>>;
  readonly actors: readonly unknown[];
}

/** Reads the whole projection through the HTTP API. */
export async function snapshot(url: string): Promise<MonitorSnapshot> {
  const instances: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? "" : `&cursor=${cursor}`;
    const page = (await (await fetch(`${url}/api/instances?limit=500${query}`)).json()) as {
      instances: Array<Record<string, unknown>>;
      nextCursor: string | null;
    };
    instances.push(...page.instances);
    cursor = page.nextCursor;
  } while (cursor !== null);
  const aggregates = (await (await fetch(`${url}/api/aggregates`)).json()) as {
    workflows: Array<Record<string, unknown>>;
    actors: unknown[];
  };
  return {
    instances: instances.sort((a, b) => String(a["instanceId"]).localeCompare(String(b["instanceId"]))),
    workflows: aggregates.workflows.map((w) => ({
      app: w["app"],
      name: w["name"],
      byStatus: w["byStatus"],
      started: w["started"],
      completed: w["completed"],
      failed: w["failed"],
      activityFailures: w["activityFailures"],
      durationMs: w["durationMs"],
    })),
    actors: aggregates.actors,
  };
}

/** Options of {@link feedMonitor}. */
export interface FeedOptions {
  readonly kind: FeedKind;
  readonly format: EventFormat;
  /** Events per emitter stream (two streams). */
  readonly perStream: number;
  /** `EventRequest.time` of the first event: the same value gives the same events. */
  readonly startTimeMs: number;
  /**
   * Monitor replicas, each behind a daprd of its own with one app id (one consumer group), all on
   * `db`. More than one needs `real-daprd` and a shared store. @default 1
   */
  readonly replicas?: number;
  /** The monitors' store. @default ":memory:" */
  readonly db?: string;
  /** Subscribe with Dapr's bulk subscribe (the dev sidecar delivers one by one regardless). @default false */
  readonly bulk?: boolean;
}

/** What a feed produced. */
export interface FeedResult {
  readonly sent: number;
  readonly snapshot: MonitorSnapshot;
  /** Summed over the replicas. */
  readonly stats: { ingested: number; duplicates: number; dropped: number };
  /** Events each replica applied. */
  readonly perReplica: readonly number[];
  /** Requests on the event route, over the replicas. */
  readonly deliveries: { single: number; bulk: number };
}

/**
 * bridge → (dev sidecar | daprd → Redis → daprd) → monitor, in one format: the monitor subscribes
 * with a raw-payload subscription for protobuf and an ordinary one for json, as docs/monitor.md says.
 * Waits until the monitor has applied every event sent, then reads its projection.
 */
export async function feedMonitor(options: FeedOptions): Promise<FeedResult> {
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    const monitors: Array<{ monitor: Monitor; url: string; port: number }> = [];
    for (let i = 0; i < (options.replicas ?? 1); i++) {
      const monitor = new Monitor({
        listen: "127.0.0.1:0",
        db: options.db ?? ":memory:",
        subscriptions: [{ pubsub: "pubsub", topic: "dapr-events", rawPayload: options.format === "protobuf" }],
        retentionMs: Number.POSITIVE_INFINITY,
        ...(options.bulk === true ? { bulkSubscribe: { maxMessagesCount: 50, maxAwaitDurationMs: 20 } } : {}),
      });
      monitors.push({ monitor, ...(await monitor.start()) });
      cleanups.push(() => monitor.close());
    }
    const { url } = monitors[0] as { url: string };
    let endpoint: string;
    if (options.kind === "dev-sidecar") {
      if (monitors.length > 1) throw new Error("the dev sidecar delivers to one app");
      const sidecar = new DevSidecar({ listen: "127.0.0.1:0", appUrl: url });
      endpoint = (await sidecar.start()).address;
      cleanups.push(() => sidecar.close());
    } else {
      const redis: TestRedis = await startRedis();
      cleanups.push(() => redis.close());
      const resources = writeResources([pubsubComponent("pubsub", "pubsub.redis", { redisHost: redis.address })]);
      cleanups.push(resources.remove);
      const publisher: TestDaprd = await startDaprd({
        line: "1.18",
        appId: "event-bridge",
        resourcesPath: resources.dir,
      });
      cleanups.push(() => publisher.stop());
      for (const { port } of monitors) {
        // One app id for every replica: daprd's Redis consumer group, so each event reaches one of them.
        const subscriber = await startDaprd({
          line: "1.18",
          appId: "dapr-event-bridge-monitor",
          resourcesPath: resources.dir,
          appPort: port,
        });
        cleanups.push(() => subscriber.stop());
      }
      endpoint = publisher.grpcAddress;
    }
    const spool = tempDir("monitor-feed-spool-");
    cleanups.push(spool.remove);
    const bridge = new Bridge(
      testConfig({ daprGrpcEndpoint: endpoint, spoolDir: spool.dir, topic: "dapr-events", format: options.format }),
      { logger: silentLogger() },
    );
    const sink = await bridge.start();
    cleanups.push(() => bridge.close());
    const result = await emit({
      target: sink,
      streams: 2,
      count: options.perStream,
      appId: "shop",
      sequence: { startTimeMs: options.startTimeMs },
    });
    if (!result.acknowledged) throw new Error(`the emitter's streams were not acknowledged: ${result.error?.message}`);
    const applied = (): number => monitors.reduce((sum, { monitor }) => sum + monitor.stats().ingested, 0);
    await waitUntil(() => applied() >= result.sent, 90_000, `the monitor to apply ${result.sent} events`);
    const stats = { ingested: 0, duplicates: 0, dropped: 0 };
    for (const { monitor } of monitors) {
      const one = monitor.stats();
      stats.ingested += one.ingested;
      stats.duplicates += one.duplicates;
      stats.dropped += one.dropped;
    }
    return {
      sent: result.sent,
      snapshot: await snapshot(url),
      stats,
      perReplica: monitors.map(({ monitor }) => monitor.stats().ingested),
      deliveries: monitors.reduce(
        (sum, { monitor }) => {
          const one = monitor.deliveries();
          return { single: sum.single + one.single, bulk: sum.bulk + one.bulk };
        },
        { single: 0, bulk: 0 },
      ),
    };
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
