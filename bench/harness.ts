import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { prepareLoad, sliceLoad } from "./load.js";
import { describeMachine, loadAverageNow, type MachineInfo } from "./machine.js";
import { runBaselineScenario } from "./scenario-baseline.js";
import { runBridgeScenario } from "./scenario-bridge.js";
import { runDaprdScenario } from "./scenario-daprd.js";
import { SCENARIOS, type ScenarioName, type ScenarioOptions, type ScenarioResult } from "./scenario-types.js";
import { median } from "./stats.js";

/** Options of {@link runBench}. */
export interface BenchOptions {
  /** Events per scenario (throughput phase). @default 30000 */
  readonly events?: number;
  /** Repetitions; the summary holds per-figure medians. @default 1 */
  readonly runs?: number;
  /** Scenarios to run, in {@link SCENARIOS} order. @default all */
  readonly scenarios?: readonly ScenarioName[];
  /**
   * Events of the naive scenario: a prefix of the same load, since one awaited publish per event
   * makes it slow (its rate does not depend on the count). @default min(events, 5000)
   */
  readonly naiveEvents?: number;
  /** Emitter streams. @default 4 */
  readonly streams?: number;
  /** Instances in flight per family per stream (active partition keys ≈ 2 × this × streams). @default 6 */
  readonly concurrency?: number;
  /** Seed of the load. @default 1 */
  readonly seed?: number;
  /** Called with a line of progress. @default none */
  readonly progress?: (line: string) => void;
  /** Passed to every scenario. */
  readonly scenario?: Omit<ScenarioOptions, "load">;
}

/** The medians of one scenario over the runs. */
export interface ScenarioSummary {
  readonly scenario: ScenarioName;
  readonly throughputPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly latencyRatePerSec: number;
  readonly peakRssMb: number;
  /** CPU of the bench process (emitter, sidecar) during the throughput phase, % of a core. */
  readonly benchCpuPercent: number;
  /** CPU of the process under test during the throughput phase, % of a core. */
  readonly sutCpuPercent: number;
  readonly drainPerSec: number;
  readonly drainMs: number;
  /** throughput / ceiling throughput (medians). */
  readonly vsCeiling: number;
  /** throughput / naive throughput (medians). */
  readonly vsNaive: number;
  /** `bridge-daprd`: throughput / bridge-disk throughput (the dev sidecar stand-in), medians. */
  readonly vsStandIn?: number;
  /** `bridge-daprd`: daprd's CPU, % of one core. */
  readonly daprdCpuPercent?: number;
  /** `bridge-daprd`: redis-server's CPU, % of one core. */
  readonly redisCpuPercent?: number;
  /** Why the scenario did not run, when it did not. */
  readonly skipped?: string;
}

/** Everything one bench invocation measured. */
export interface BenchReport {
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: readonly number[];
  readonly startedAt: string;
  readonly events: number;
  readonly streams: number;
  readonly concurrency: number;
  readonly runs: number;
  readonly summary: readonly ScenarioSummary[];
  /** Every run's raw results, run by run. */
  readonly results: readonly (readonly ScenarioResult[])[];
}

/** Runs one scenario. */
export function runScenario(name: ScenarioName, options: ScenarioOptions): Promise<ScenarioResult> {
  if (name === "ceiling" || name === "naive") return runBaselineScenario(name, options);
  if (name === "bridge-daprd") return runDaprdScenario(options);
  return runBridgeScenario(name, options);
}

/** Runs the chosen scenarios `runs` times on one pre-generated load and summarises medians. */
export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const events = options.events ?? 30_000;
  const runs = options.runs ?? 1;
  const streams = options.streams ?? 4;
  const chosen = SCENARIOS.filter((s) => (options.scenarios ?? SCENARIOS).includes(s));
  if (!(Number.isInteger(events) && events >= streams))
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `events must be an integer >= streams (${streams}); given ${events}`,
    );
  if (!(Number.isInteger(runs) && runs >= 1))
    throw new BridgeError(ErrorCode.InvalidConfig, `runs must be a positive integer; given ${runs}`);
  const machine = describeMachine();
  const startedAt = new Date().toISOString();
  const progress = options.progress ?? (() => undefined);
  progress(`generating ${events} events on ${streams} streams (seed ${options.seed ?? 1})`);
  const load = prepareLoad({ events, streams, seed: options.seed ?? 1, concurrency: options.concurrency ?? 6 });
  const results: ScenarioResult[][] = [];
  for (let run = 0; run < runs; run++) {
    const runResults: ScenarioResult[] = [];
    for (const name of chosen) {
      progress(`run ${run + 1}/${runs}: ${name} (load average ${loadAverageNow().join(" ")})`);
      const scenarioLoad = name === "naive" ? sliceLoad(load, options.naiveEvents ?? Math.min(events, 5000)) : load;
      const result = await runScenario(name, { ...options.scenario, load: scenarioLoad });
      progress(
        result.skipped === undefined
          ? `  ${name}: ${Math.round(result.throughputPerSec)} events/s, ${result.delivered}/${result.events} delivered`
          : `  ${name}: skipped: ${result.skipped}`,
      );
      runResults.push(result);
    }
    results.push(runResults);
  }
  return {
    machine,
    loadAverageAtEnd: loadAverageNow(),
    startedAt,
    events,
    streams,
    concurrency: options.concurrency ?? 6,
    runs,
    summary: summarize(chosen, results),
    results,
  };
}

function summarize(
  chosen: readonly ScenarioName[],
  results: readonly (readonly ScenarioResult[])[],
): ScenarioSummary[] {
  const of = (name: ScenarioName): ScenarioResult[] => results.flatMap((run) => run.filter((r) => r.scenario === name));
  const med = (name: ScenarioName, pick: (r: ScenarioResult) => number | undefined): number =>
    median(of(name).map((r) => pick(r) ?? Number.NaN));
  const ceiling = med("ceiling", (r) => r.throughputPerSec);
  const naive = med("naive", (r) => r.throughputPerSec);
  const standIn = med("bridge-disk", (r) => r.throughputPerSec);
  return chosen.map((scenario) => {
    const throughputPerSec = med(scenario, (r) => r.throughputPerSec);
    const skipped = of(scenario).find((r) => r.skipped !== undefined)?.skipped;
    const daprd =
      scenario === "bridge-daprd"
        ? {
            vsStandIn: throughputPerSec / standIn,
            daprdCpuPercent: med(scenario, (r) => r.daprd?.cpuPercent),
            redisCpuPercent: med(scenario, (r) => r.daprd?.redisCpuPercent),
          }
        : {};
    return {
      scenario,
      throughputPerSec,
      p50Ms: med(scenario, (r) => r.latency?.p50Ms),
      p99Ms: med(scenario, (r) => r.latency?.p99Ms),
      maxMs: med(scenario, (r) => r.latency?.maxMs),
      latencyRatePerSec: med(scenario, (r) => r.latency?.ratePerSec),
      peakRssMb: med(scenario, (r) => r.peakRssMb),
      benchCpuPercent: med(scenario, (r) => r.cpu?.benchPercent),
      sutCpuPercent: med(scenario, (r) => r.cpu?.sutPercent),
      drainPerSec: med(scenario, (r) => r.outage?.drainPerSec),
      drainMs: med(scenario, (r) => r.outage?.drainMs),
      vsCeiling: throughputPerSec / ceiling,
      vsNaive: throughputPerSec / naive,
      ...daprd,
      ...(skipped === undefined ? {} : { skipped }),
    };
  });
}
