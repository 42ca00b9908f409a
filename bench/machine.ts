import { cpus, loadavg, totalmem } from "node:os";

/** The machine a run was measured on. */
export interface MachineInfo {
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly totalMemoryMb: number;
  /** 1, 5 and 15 minute load averages when the run started. */
  readonly loadAverageAtStart: readonly [number, number, number];
}

/** Describes this machine now. */
export function describeMachine(): MachineInfo {
  const info = cpus();
  const [one, five, fifteen] = loadavg();
  return {
    cores: info.length,
    cpuModel: info[0]?.model.trim() ?? "unknown",
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    totalMemoryMb: Math.round(totalmem() / 1024 / 1024),
    loadAverageAtStart: [round2(one), round2(five), round2(fifteen)],
  };
}

/** The current load averages. */
export function loadAverageNow(): [number, number, number] {
  const [one, five, fifteen] = loadavg();
  return [round2(one), round2(five), round2(fifteen)];
}

function round2(value: number | undefined): number {
  return Math.round((value ?? 0) * 100) / 100;
}
