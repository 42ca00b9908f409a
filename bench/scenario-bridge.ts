import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DevSidecar } from "../src/devtools/dev-sidecar.js";
import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { ArrivalRecorder, drive, matchArrivals } from "./drive.js";
import { sliceLoad, type BenchLoad } from "./load.js";
import { measureCpu, startBridgeProcess, type BridgeProcess } from "./processes.js";
import type { OutageFigures, ScenarioOptions, ScenarioResult } from "./scenario-types.js";
import { summarizeLatency, wallClockMs } from "./stats.js";

/** The bridge scenarios. */
export type BridgeScenario = "bridge-memory" | "bridge-disk" | "bridge-disk-outage";

interface Phase {
  readonly delivered: number;
  readonly latencies: number[];
  readonly startedAt: number;
  readonly lastArrival: number;
  /** When every stream was acknowledged (everything spooled), wall-clock ms. */
  readonly acceptedAt: number;
}

/**
 * The real bridge as a child process (`dapr-event-bridge run`, defaults: durable and ordered,
 * or `--durability memory`) between the emitter and a dev sidecar, both in this process.
 * `bridge-disk-outage` starts with the sidecar unavailable, spools the whole load, then brings
 * the sidecar back and measures the drain.
 */
export async function runBridgeScenario(scenario: BridgeScenario, options: ScenarioOptions): Promise<ScenarioResult> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const outage = scenario === "bridge-disk-outage";
  const sidecar = new DevSidecar({ listen: "127.0.0.1:0", ...(outage ? { faults: { unavailable: true } } : {}) });
  const { address: sidecarAddress } = await sidecar.start();
  const recorder = new ArrivalRecorder(sidecar);
  const spoolDir = await mkdtemp(path.join(tmpdir(), "bridge-bench-spool-"));
  let bridge: BridgeProcess | undefined;
  try {
    bridge = await startBridgeProcess({
      daprGrpcEndpoint: sidecarAddress,
      durability: scenario === "bridge-memory" ? "memory" : "disk",
      spoolDir,
      extraArgs: [
        ...(options.bridgeArgs ?? []),
        ...(outage && options.outageMaxBackoff !== undefined ? ["--retry-max-backoff", options.outageMaxBackoff] : []),
      ],
      // Started as the README says: no node flags, no NODE_OPTIONS (a profiled run adds --cpu-prof).
      nodeArgs:
        options.profileDir === undefined || outage
          ? []
          : [
              "--cpu-prof",
              "--cpu-prof-dir",
              options.profileDir,
              "--cpu-prof-name",
              `${scenario}-${Date.now()}.cpuprofile`,
            ],
    });
    const target = bridge.address;
    const phase = async (load: BenchLoad, ratePerSec: number, beforeArrivals?: () => void): Promise<Phase> => {
      recorder.reset();
      const arrived = recorder.waitForCount(load.events, timeoutMs, options.signal);
      // A failed phase must not leave this wait to reject unobserved.
      arrived.catch(() => undefined);
      const sent = await drive(load, {
        target,
        ratePerSec,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      const acceptedAt = wallClockMs();
      if (!sent.acknowledged)
        throw new BridgeError(
          ErrorCode.Internal,
          `the bridge did not acknowledge every stream: ${sent.error ?? "unknown"}`,
        );
      beforeArrivals?.();
      await arrived;
      const matched = matchArrivals(load, sent.sentAt, sidecar, recorder.times, "cloudevent");
      return {
        delivered: matched.delivered,
        latencies: matched.latencies,
        startedAt: sent.startedAt,
        lastArrival: matched.lastArrival,
        acceptedAt,
      };
    };
    let recoveredAt = 0;
    const cpuOf = measureCpu(bridge.pid);
    const full = await phase(options.load, 0, () => {
      if (!outage) return;
      recoveredAt = wallClockMs();
      sidecar.setFaults({ unavailable: false });
    });
    const cpu = cpuOf();
    const elapsedMs = full.lastArrival - full.startedAt;
    const throughputPerSec = (full.delivered / elapsedMs) * 1000;
    let outageFigures: OutageFigures | undefined;
    if (outage) {
      const first = recorder.times[0] ?? Number.NaN;
      const drainMs = full.lastArrival - recoveredAt;
      outageFigures = {
        spoolMs: full.acceptedAt - full.startedAt,
        recoveryMs: first - recoveredAt,
        drainMs,
        drainPerSec: (full.delivered / drainMs) * 1000,
        pureDrainPerSec: (full.delivered / (full.lastArrival - first)) * 1000,
      };
    }
    const latencySeconds = options.latencySeconds ?? 5;
    let latency: ScenarioResult["latency"];
    if (!outage && latencySeconds > 0) {
      const ratePerSec = Math.max(1, Math.round(throughputPerSec / 2));
      const load = sliceLoad(
        options.load,
        Math.max(options.load.streams.length, Math.round(ratePerSec * latencySeconds)),
      );
      const paced = await phase(load, ratePerSec);
      latency = { ...summarizeLatency(paced.latencies), ratePerSec, delivered: paced.delivered, events: load.events };
    }
    bridge.rss.sample();
    const peakRssMb = bridge.rss.peakMb;
    return {
      scenario,
      events: options.load.events,
      delivered: full.delivered,
      // For the outage, throughput is of the whole run (spool, outage, drain); the drain figures say more.
      elapsedMs,
      throughputPerSec,
      ...(latency === undefined ? {} : { latency }),
      ...(peakRssMb === undefined ? {} : { peakRssMb }),
      ...(outageFigures === undefined ? {} : { outage: outageFigures }),
      cpu,
    };
  } finally {
    await bridge?.stop();
    await sidecar.close();
    await rm(spoolDir, { recursive: true, force: true });
  }
}
