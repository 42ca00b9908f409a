import type { BenchReport, ScenarioSummary } from "./harness.js";
import type { ScenarioName } from "./scenario-types.js";

/** One target of the issue, checked against a report. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  /** Undefined when the scenarios it needs did not run. */
  readonly met?: boolean;
}

function fmt(value: number, digits = 0): string {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

/** The summary as an aligned text table. */
export function formatTable(report: BenchReport): string {
  const header = [
    "scenario",
    "events/s",
    "×ceiling",
    "×naive",
    "rate(lat)",
    "p50 ms",
    "p99 ms",
    "max ms",
    "peak RSS MB",
    "drain ev/s",
    "drain ms",
    "cpu% bench/sut",
  ];
  const rows = report.summary.map((s) => [
    s.scenario,
    fmt(s.throughputPerSec),
    fmt(s.vsCeiling, 2),
    fmt(s.vsNaive, 1),
    fmt(s.latencyRatePerSec),
    fmt(s.p50Ms, 2),
    fmt(s.p99Ms, 2),
    fmt(s.maxMs, 2),
    fmt(s.peakRssMb, 1),
    fmt(s.drainPerSec),
    fmt(s.drainMs),
    `${fmt(s.benchCpuPercent)}/${fmt(s.sutCpuPercent)}`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  ");
  const m = report.machine;
  return [
    `machine: ${m.cores} × ${m.cpuModel}, ${m.totalMemoryMb} MB, ${m.platform}, node ${m.node}; load average ${m.loadAverageAtStart.join(" ")} at start, ${report.loadAverageAtEnd.join(" ")} at end`,
    `load: ${report.events} events on ${report.streams} streams, ${report.concurrency} instances in flight per family per stream, ${report.runs} run(s) (medians)`,
    line(header),
    ...rows.map(line),
    ...report.summary.flatMap((s) => {
      if (s.scenario !== "bridge-daprd") return [];
      if (s.skipped !== undefined) return [`bridge-daprd skipped: ${s.skipped}`];
      return [
        `bridge-daprd (real daprd + Redis Streams): ${fmt(s.vsStandIn ?? Number.NaN, 2)} × the dev sidecar's rate ` +
          `(bridge-disk); CPU % of a core: daprd ${fmt(s.daprdCpuPercent ?? Number.NaN)}, ` +
          `redis ${fmt(s.redisCpuPercent ?? Number.NaN)}, bridge ${fmt(s.sutCpuPercent)}`,
      ];
    }),
  ].join("\n");
}

/** The targets, met or missed. */
export function checkTargets(report: BenchReport): TargetCheck[] {
  const get = (name: ScenarioName): ScenarioSummary | undefined => report.summary.find((s) => s.scenario === name);
  const disk = get("bridge-disk");
  const memory = get("bridge-memory");
  const outage = get("bridge-disk-outage");
  const check = (
    target: string,
    value: number | undefined,
    bound: number,
    atLeast: boolean,
    digits = 2,
  ): TargetCheck => {
    if (value === undefined || !Number.isFinite(value)) return { target, measured: "not measured" };
    return { target, measured: fmt(value, digits), met: atLeast ? value >= bound : value <= bound };
  };
  return [
    check("bridge-disk ≥ 0.5 × ceiling", disk?.vsCeiling, 0.5, true),
    check("bridge-memory ≥ 0.7 × ceiling", memory?.vsCeiling, 0.7, true),
    check("bridge-disk ≥ 10 × naive", disk?.vsNaive, 10, true, 1),
    check("bridge-disk p99 ≤ 50 ms at half the max rate", disk?.p99Ms, 50, false),
    check("peak RSS ≤ 200 MB during bridge-disk-outage", outage?.peakRssMb, 200, false, 1),
    check(
      "outage backlog drained at ≥ 0.5 × bridge-disk rate",
      outage === undefined || disk === undefined ? undefined : outage.drainPerSec / disk.throughputPerSec,
      0.5,
      true,
    ),
  ];
}

/** The target checks as text lines. */
export function formatTargets(checks: readonly TargetCheck[]): string {
  return checks
    .map((c) => `${c.met === undefined ? "  ?  " : c.met ? " met " : "MISSED"}  ${c.target}: ${c.measured}`)
    .join("\n");
}
