import type { BenchLoad } from "./load.js";
import type { CpuShare } from "./processes.js";
import type { LatencySummary } from "./stats.js";

/** The scenarios, in the order they run. */
export const SCENARIOS = [
  "ceiling",
  "naive",
  "bridge-memory",
  "bridge-disk",
  "bridge-disk-outage",
  "bridge-daprd",
] as const;
/** One scenario's name. */
export type ScenarioName = (typeof SCENARIOS)[number];

/** Options shared by every scenario. */
export interface ScenarioOptions {
  readonly load: BenchLoad;
  /**
   * Where the baseline sinks (ceiling, naive) run: a child process (like the bridge, its own event
   * loop; needs `dist/bench`) or this process (tests). The bridge always runs as a child.
   * @default "child"
   */
  readonly placement?: "child" | "in-process";
  /** Length of the fixed-rate latency phase, in seconds; 0 skips it. @default 5 */
  readonly latencySeconds?: number;
  /**
   * Where to write a CPU profile (`--cpu-prof`) of the bridge child in `bridge-memory` and
   * `bridge-disk`, one file per scenario run, named after the scenario. @default no profile
   */
  readonly profileDir?: string;
  /** Extra `run` flags for every bridge child (experiments, e.g. `--ordering none`). @default [] */
  readonly bridgeArgs?: readonly string[];
  /** Backoff cap of the bridge in `bridge-disk-outage`, a duration flag value. @default the bridge default (30 s) */
  readonly outageMaxBackoff?: string;
  /** Longest wait for a phase to complete, in ms. @default 300000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** The drain after an outage. */
export interface OutageFigures {
  /** Time to spool the whole load while the sidecar was unavailable, ms. */
  readonly spoolMs: number;
  /** From the sidecar's return to the first arrival (the bridge's retry backoff), ms. */
  readonly recoveryMs: number;
  /** From the sidecar's return to the last arrival, ms. */
  readonly drainMs: number;
  /** Backlog / drainMs, events/s (recovery wait included). */
  readonly drainPerSec: number;
  /** Backlog / (last arrival − first arrival), events/s. */
  readonly pureDrainPerSec: number;
}

/** What one scenario measured. */
export interface ScenarioResult {
  readonly scenario: ScenarioName;
  /** Events sent in the throughput phase. */
  readonly events: number;
  /** Of them, events that arrived (sink-processed for ceiling). */
  readonly delivered: number;
  /** From the first send to the last arrival, ms. */
  readonly elapsedMs: number;
  /** delivered / elapsed, events/s. */
  readonly throughputPerSec: number;
  /** The fixed-rate phase at half the measured maximum. */
  readonly latency?: LatencySummary & {
    readonly ratePerSec: number;
    readonly delivered: number;
    readonly events: number;
  };
  /** Peak VmRSS of the process under test (bridge or baseline sink child), MB. */
  readonly peakRssMb?: number;
  readonly outage?: OutageFigures;
  /** CPU use during the throughput phase: which process was the bottleneck. */
  readonly cpu?: CpuShare;
  /** `bridge-daprd`: the real sidecar and broker behind the bridge. */
  readonly daprd?: DaprdFigures;
  /** Why the scenario did not run on this machine (then it measured nothing). */
  readonly skipped?: string;
}

/** The real daprd and Redis of `bridge-daprd` over its throughput phase. */
export interface DaprdFigures {
  /** daprd's version. */
  readonly version: string;
  /** daprd's CPU use, % of one core. */
  readonly cpuPercent: number;
  /** redis-server's CPU use, % of one core. */
  readonly redisCpuPercent: number;
}
