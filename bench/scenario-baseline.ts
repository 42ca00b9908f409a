import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { DevSidecar } from "../src/devtools/dev-sidecar.js";
import { ArrivalRecorder, drive, matchArrivals, streamAppId } from "./drive.js";
import { sliceLoad, type BenchLoad } from "./load.js";
import { measureCpu, startBaselineProcess } from "./processes.js";
import type { ScenarioOptions, ScenarioResult } from "./scenario-types.js";
import { startBaselineSink, type BaselineMode, type BaselineReport } from "./sinks.js";
import { summarizeLatency } from "./stats.js";

interface BaselineHandle {
  readonly address: string;
  readonly pid?: number;
  report(): Promise<BaselineReport>;
  reset(): Promise<void>;
  close(): Promise<void>;
  peakRssMb(): number | undefined;
}

async function startHandle(
  mode: BaselineMode,
  placement: "child" | "in-process",
  sidecar?: string,
): Promise<BaselineHandle> {
  if (placement === "child") {
    const child = await startBaselineProcess(mode, sidecar);
    return { ...child, address: child.address, peakRssMb: () => (child.rss.sample(), child.rss.peakMb) };
  }
  const sink = await startBaselineSink({ mode, ...(sidecar === undefined ? {} : { daprGrpcEndpoint: sidecar }) });
  return {
    address: sink.address,
    report: () => Promise.resolve(sink.report()),
    reset: () => Promise.resolve(sink.reset()),
    close: () => sink.close(),
    peakRssMb: () => undefined,
  };
}

/** Per-stream in-order latencies at a baseline sink: frame j of stream i is its j-th arrival. */
function sinkLatencies(
  load: BenchLoad,
  sentAt: readonly Float64Array[],
  report: BaselineReport,
): { latencies: number[]; last: number } {
  const latencies: number[] = [];
  let last = Number.NaN;
  load.streams.forEach((frames, stream) => {
    const arrivals = report.arrivals[streamAppId(stream)] ?? [];
    for (let j = 0; j < Math.min(frames.length, arrivals.length); j++) {
      const arrival = arrivals[j] ?? Number.NaN;
      latencies.push(arrival - (sentAt[stream]?.[j] ?? Number.NaN));
      last = Number.isNaN(last) ? arrival : Math.max(last, arrival);
    }
  });
  return { latencies, last };
}

/**
 * `ceiling` (decode and discard) or `naive` (one awaited DaprClient publish per event):
 * a throughput phase at full speed, then a latency phase at half the measured rate.
 */
export async function runBaselineScenario(mode: BaselineMode, options: ScenarioOptions): Promise<ScenarioResult> {
  const timeoutMs = options.timeoutMs ?? 300_000;
  const sidecar = mode === "naive" ? new DevSidecar({ listen: "127.0.0.1:0" }) : undefined;
  const sidecarAddress = sidecar === undefined ? undefined : (await sidecar.start()).address;
  const recorder = sidecar === undefined ? undefined : new ArrivalRecorder(sidecar);
  let handle: BaselineHandle | undefined;
  try {
    handle = await startHandle(mode, options.placement ?? "child", sidecarAddress);
    const phase = async (
      load: BenchLoad,
      ratePerSec: number,
    ): Promise<{ delivered: number; latencies: number[]; last: number; startedAt: number }> => {
      await handle?.reset();
      recorder?.reset();
      const arrived = recorder?.waitForCount(load.events, timeoutMs, options.signal);
      const sent = await drive(load, {
        target: handle?.address ?? "",
        ratePerSec,
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
      if (!sent.acknowledged)
        throw new BridgeError(
          ErrorCode.Internal,
          `the ${mode} sink did not acknowledge every stream: ${sent.error ?? "unknown"}`,
        );
      if (sidecar !== undefined && recorder !== undefined) {
        await arrived;
        const matched = matchArrivals(load, sent.sentAt, sidecar, recorder.times, "raw-frame");
        return {
          delivered: matched.delivered,
          latencies: matched.latencies,
          last: matched.lastArrival,
          startedAt: sent.startedAt,
        };
      }
      const report = (await handle?.report()) ?? { processed: 0, arrivals: {} };
      const { latencies, last } = sinkLatencies(load, sent.sentAt, report);
      return { delivered: report.processed, latencies, last, startedAt: sent.startedAt };
    };
    const cpuOf = measureCpu(handle.pid);
    const full = await phase(options.load, 0);
    const cpu = cpuOf();
    const elapsedMs = full.last - full.startedAt;
    const throughputPerSec = (full.delivered / elapsedMs) * 1000;
    const latencySeconds = options.latencySeconds ?? 5;
    let latency: ScenarioResult["latency"];
    if (latencySeconds > 0) {
      const ratePerSec = Math.max(1, Math.round(throughputPerSec / 2));
      const load = sliceLoad(
        options.load,
        Math.max(options.load.streams.length, Math.round(ratePerSec * latencySeconds)),
      );
      const paced = await phase(load, ratePerSec);
      latency = { ...summarizeLatency(paced.latencies), ratePerSec, delivered: paced.delivered, events: load.events };
    }
    const peakRssMb = handle.peakRssMb();
    return {
      scenario: mode,
      events: options.load.events,
      delivered: full.delivered,
      elapsedMs,
      throughputPerSec,
      ...(latency === undefined ? {} : { latency }),
      ...(peakRssMb === undefined ? {} : { peakRssMb }),
      cpu,
    };
  } finally {
    await handle?.close();
    await sidecar?.close();
  }
}
