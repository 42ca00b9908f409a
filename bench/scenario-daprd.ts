import { spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { redisCommand, startRedis, type TestRedis } from "../src/devtools/local-brokers.js";
import {
  pubsubComponent,
  realDaprSupport,
  startDaprd,
  writeResources,
  type TestDaprd,
} from "../src/devtools/local-dapr.js";
import { setTimeout as sleep } from "node:timers/promises";
import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { drive } from "./drive.js";
import { measureCpu, processCpuMs, startBridgeProcess, type BridgeProcess } from "./processes.js";
import type { ScenarioOptions, ScenarioResult } from "./scenario-types.js";
import { wallClockMs } from "./stats.js";

/** The Dapr line the scenario publishes through. */
const LINE = "1.18";
/** The topic, hence the Redis stream, the bridge publishes to (its default). */
const TOPIC = "dapr-events";

/** Why the scenario cannot run on this machine, or undefined. */
export function daprdMissing(): string | undefined {
  const build = realDaprSupport().daprd[LINE];
  if (build === undefined) return `daprd ${LINE} is not built (run \`npm run build:daprd\`)`;
  if (spawnSync("sh", ["-c", "command -v redis-server"], { stdio: "ignore" }).status !== 0)
    return "redis-server is not on the PATH";
  return undefined;
}

async function streamLength(redis: TestRedis): Promise<number> {
  const reply = await redisCommand(redis.port, ["XLEN", TOPIC]);
  return typeof reply === "number" ? reply : 0;
}

/**
 * The real pipe: emitter → bridge child (defaults: SQLite spool, per-key order) → real daprd
 * 1.18 (`BulkPublishEvent`, rawPayload) → Redis Streams. Throughput runs from the first send
 * until the Redis stream holds every event (polled with XLEN every 5 ms, so the figure is
 * rounded up by at most that). CPU of daprd and Redis comes from `/proc/<pid>/stat`: where the
 * pipe narrows. No latency phase (arrivals are counted, not stamped). Skips, with the reason in
 * `skipped`, when daprd or redis-server is missing.
 */
export async function runDaprdScenario(options: ScenarioOptions): Promise<ScenarioResult> {
  const load = options.load;
  const missing = daprdMissing();
  if (missing !== undefined) {
    return {
      scenario: "bridge-daprd",
      events: load.events,
      delivered: 0,
      elapsedMs: Number.NaN,
      throughputPerSec: Number.NaN,
      skipped: missing,
    };
  }
  const timeoutMs = options.timeoutMs ?? 300_000;
  const redis = await startRedis();
  const resources = writeResources([pubsubComponent("pubsub", "pubsub.redis", { redisHost: redis.address })]);
  const spoolDir = await mkdtemp(path.join(tmpdir(), "bridge-bench-spool-"));
  let daprd: TestDaprd | undefined;
  let bridge: BridgeProcess | undefined;
  try {
    daprd = await startDaprd({ line: LINE, appId: "bridge-bench", resourcesPath: resources.dir });
    bridge = await startBridgeProcess({
      daprGrpcEndpoint: daprd.grpcAddress,
      durability: "disk",
      spoolDir,
      extraArgs: options.bridgeArgs ?? [],
    });
    const daprdPid = daprd.process.pid;
    const redisPid = redis.process().pid;
    const daprdCpuAtStart = processCpuMs(daprdPid);
    const redisCpuAtStart = processCpuMs(redisPid);
    const cpuOf = measureCpu(bridge.pid);
    const sent = await drive(load, {
      target: bridge.address,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (!sent.acknowledged)
      throw new BridgeError(
        ErrorCode.Internal,
        `the bridge did not acknowledge every stream: ${sent.error ?? "unknown"}`,
      );
    const deadline = Date.now() + timeoutMs;
    let delivered = await streamLength(redis);
    // A fixed short poll: the time of the last arrival is what is measured.
    while (delivered < load.events) {
      if (Date.now() > deadline)
        throw new BridgeError(
          ErrorCode.DeadlineExceeded,
          `${delivered} of ${load.events} events reached the Redis stream ${TOPIC} in ${timeoutMs} ms`,
        );
      await sleep(5, undefined, options.signal === undefined ? {} : { signal: options.signal });
      delivered = await streamLength(redis);
    }
    const lastArrival = wallClockMs();
    const cpu = cpuOf();
    const elapsedMs = lastArrival - sent.startedAt;
    const share = (usedMs: number): number => Math.round((usedMs / elapsedMs) * 100);
    bridge.rss.sample();
    const peakRssMb = bridge.rss.peakMb;
    return {
      scenario: "bridge-daprd",
      events: load.events,
      delivered,
      elapsedMs,
      throughputPerSec: (delivered / elapsedMs) * 1000,
      ...(peakRssMb === undefined ? {} : { peakRssMb }),
      cpu,
      daprd: {
        version: daprd.version,
        cpuPercent: share(processCpuMs(daprdPid) - daprdCpuAtStart),
        redisCpuPercent: share(processCpuMs(redisPid) - redisCpuAtStart),
      },
    };
  } finally {
    await bridge?.stop();
    await daprd?.stop();
    await redis.close();
    resources.remove();
    await rm(spoolDir, { recursive: true, force: true });
  }
}
