import { fork, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import type { BaselineMode, BaselineReport } from "./sinks.js";

const here = path.dirname(fileURLToPath(import.meta.url));
/** The repository root, whether this module runs compiled (`dist/bench`) or from source (`bench`). */
const root = path.basename(path.dirname(here)) === "dist" ? path.resolve(here, "../..") : path.resolve(here, "..");

/** The compiled CLI (`dist/src/cli/main.js`). */
export const BRIDGE_CLI = path.join(root, "dist/src/cli/main.js");
/**
 * The node flags of the command's own first line (`#!/usr/bin/env -S node <flags>`): what running
 * the command gives the bridge, which a run with flags of its own (a profile) must keep.
 */
export function commandNodeFlags(): string[] {
  const first = readFileSync(BRIDGE_CLI, "utf8").split("\n", 1)[0] ?? "";
  const words = first
    .replace(/^#!\s*/, "")
    .split(/\s+/)
    .filter(Boolean);
  const node = words.indexOf("node");
  return node === -1 ? [] : words.slice(node + 1);
}

/** The compiled baseline sink child entry (`dist/bench/sink-child.js`), built by `bench/tsconfig.json`. */
export const SINK_CHILD = path.join(root, "dist/bench/sink-child.js");

/** The process and its descendants (from `/proc/<pid>/task/<tid>/children`); just `pid` where that is unavailable. */
export function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    const parent = found[i] ?? pid;
    try {
      for (const task of readdirSync(`/proc/${parent}/task`)) {
        for (const child of readFileSync(`/proc/${parent}/task/${task}/children`, "utf8").split(" ")) {
          if (child.trim() !== "") found.push(Number(child));
        }
      }
    } catch {
      // Exited, or no /proc: what was found so far.
    }
  }
  return found;
}

/** The resident set of one process from `/proc/<pid>/status`, kB; undefined once it has exited. */
function residentKb(pid: number): { anon: number; file: number; shmem: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name: string): number => Number(new RegExp(`${name}:\\s+(\\d+)\\s+kB`).exec(status)?.[1] ?? 0);
    return { anon: kb("RssAnon"), file: kb("RssFile"), shmem: kb("RssShmem") };
  } catch {
    return undefined;
  }
}

/**
 * Peak resident memory of a process together with its descendants (should the process under
 * test start another node, they share one binary), sampled from `/proc/<pid>/status`
 * (Linux only): the anonymous and shared-memory pages of each, plus the largest file-backed set
 * (the node binary and libraries, mapped by both but resident once). For one process it is VmRSS.
 */
export class RssSampler {
  #peakKb = 0;
  readonly #timer: NodeJS.Timeout;

  /** Samples every `intervalMs` milliseconds until {@link stop}. */
  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.sample();
    this.#timer = setInterval(() => this.sample(), intervalMs);
    this.#timer.unref();
  }

  /** Peak VmRSS so far, in MB; undefined where /proc is not available. */
  get peakMb(): number | undefined {
    return this.#peakKb === 0 ? undefined : Math.round((this.#peakKb / 1024) * 10) / 10;
  }

  /** Takes one sample now (also called before reading the peak at the end of a phase). */
  sample(): void {
    let own = 0;
    let file = 0;
    for (const pid of processTree(this.pid)) {
      // An exited process (or no /proc) adds nothing: the peak seen so far stays.
      const resident = residentKb(pid);
      if (resident === undefined) continue;
      own += resident.anon + resident.shmem;
      file = Math.max(file, resident.file);
    }
    this.#peakKb = Math.max(this.#peakKb, own + file);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** CPU time (user + system) of a process, in ms, from `/proc/<pid>/stat`; NaN where unavailable. */
function ownCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU time (user + system) a process and its live descendants have used, in ms; NaN where unavailable. */
export function processCpuMs(pid: number): number {
  const [self, ...descendants] = processTree(pid);
  return descendants.reduce((sum, one) => sum + (ownCpuMs(one) || 0), ownCpuMs(self ?? pid));
}

/** CPU use of the bench process and of the process under test over a phase, in % of one core. */
export interface CpuShare {
  /** This process: emitter (and dev sidecar, for naive and bridge scenarios). */
  readonly benchPercent: number;
  /** The process under test (bridge or baseline sink child); NaN when it runs in this process. */
  readonly sutPercent: number;
}

/** Starts measuring CPU use; call the result at the end of the phase. */
export function measureCpu(pid: number | undefined): () => CpuShare {
  const started = performance.now();
  const self = process.cpuUsage();
  const child = pid === undefined ? Number.NaN : processCpuMs(pid);
  return () => {
    const wall = performance.now() - started;
    const used = process.cpuUsage(self);
    const childNow = pid === undefined ? Number.NaN : processCpuMs(pid);
    return {
      benchPercent: Math.round(((used.user + used.system) / 1000 / wall) * 100),
      sutPercent: Math.round(((childNow - child) / wall) * 100),
    };
  };
}

/** A bridge (`dapr-event-bridge run`) running as a child process. */
export interface BridgeProcess {
  readonly pid: number;
  /** The sink's bound `HOST:PORT`. */
  readonly address: string;
  readonly rss: RssSampler;
  /** SIGTERM (drain), then waits for exit; SIGKILL after `timeoutMs`. Resolves with the exit code. */
  stop(timeoutMs?: number): Promise<number | null>;
}

/** Options of {@link startBridgeProcess}. */
export interface BridgeProcessOptions {
  readonly daprGrpcEndpoint: string;
  readonly durability: "disk" | "memory";
  readonly spoolDir: string;
  /** Extra `run` flags. @default [] */
  readonly extraArgs?: readonly string[];
  /** Extra node flags, e.g. `--cpu-prof`. @default [] */
  readonly nodeArgs?: readonly string[];
  /** How long to wait for "sink listening", in ms. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** Starts the compiled bridge CLI on loopback port 0 and resolves once its sink listens. */
export async function startBridgeProcess(options: BridgeProcessOptions): Promise<BridgeProcess> {
  if (!existsSync(BRIDGE_CLI))
    throw new BridgeError(ErrorCode.InvalidConfig, `${BRIDGE_CLI} is missing: run \`npm run build\` first`);
  const args = [
    "run",
    "--listen",
    "127.0.0.1:0",
    "--metrics-listen",
    "",
    "--log-level",
    "info",
    "--dapr-grpc-endpoint",
    options.daprGrpcEndpoint,
    "--durability",
    options.durability,
    "--spool-dir",
    options.spoolDir,
    ...(options.extraArgs ?? []),
  ];
  // Without node flags of its own the bridge is started as the README says: the command itself
  // (what npm's bin link runs), whose first line gives node its flags. With flags (a profile), node
  // is started with the command's flags and those.
  const nodeArgs = options.nodeArgs ?? [];
  if (nodeArgs.length === 0) chmodSync(BRIDGE_CLI, 0o755);
  const child =
    nodeArgs.length === 0
      ? spawn(BRIDGE_CLI, args, { stdio: ["ignore", "pipe", "pipe"] })
      : spawn(process.execPath, [...commandNodeFlags(), ...nodeArgs, BRIDGE_CLI, ...args], {
          stdio: ["ignore", "pipe", "pipe"],
        });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const tail: string[] = [];
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail('it did not log "sink listening" in time'), options.startTimeoutMs ?? 30_000);
    function fail(why: string): void {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(
        new BridgeError(
          ErrorCode.Internal,
          `the bridge child process failed to start: ${why}; last output: ${tail.join(" | ")}`,
        ),
      );
    }
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        tail.push(line);
        if (tail.length > 5) tail.shift();
        if (!line.includes('"sink listening"')) return;
        const parsed = JSON.parse(line) as { address?: unknown };
        clearTimeout(timer);
        resolve(String(parsed.address));
      });
    }
    void exited.then((code) => fail(`it exited with code ${String(code)}`));
  });
  const pid = child.pid ?? 0;
  const rss = new RssSampler(pid);
  return {
    pid,
    address,
    rss,
    stop: (timeoutMs = 20_000) => stopChild(child, exited, timeoutMs).finally(() => rss.stop()),
  };
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<number | null>,
  timeoutMs: number,
): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** A baseline sink running in a child process (see `sink-child.ts`). */
export interface BaselineProcess {
  readonly pid: number;
  readonly address: string;
  readonly rss: RssSampler;
  report(): Promise<BaselineReport>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Forks the compiled baseline sink child and resolves once it listens. */
export async function startBaselineProcess(mode: BaselineMode, daprGrpcEndpoint?: string): Promise<BaselineProcess> {
  if (!existsSync(SINK_CHILD)) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `${SINK_CHILD} is missing: run \`tsc -p bench/tsconfig.json\` first`,
    );
  }
  const child = fork(SINK_CHILD, daprGrpcEndpoint === undefined ? [mode] : [mode, daprGrpcEndpoint], {
    stdio: "inherit",
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const next = <T>(pick: (message: Record<string, unknown>) => T | undefined): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: unknown): void => {
        const value = pick(message as Record<string, unknown>);
        if (value === undefined) return;
        child.off("message", onMessage);
        resolve(value);
      };
      child.on("message", onMessage);
      void exited.then((code) =>
        reject(new BridgeError(ErrorCode.Internal, `the ${mode} sink child exited with code ${String(code)}`)),
      );
    });
  const address = await next((m) => (typeof m["address"] === "string" ? m["address"] : undefined));
  const pid = child.pid ?? 0;
  const rss = new RssSampler(pid);
  return {
    pid,
    address,
    rss,
    report: () => {
      const reply = next((m) => m["report"] as BaselineReport | undefined);
      child.send("report");
      return reply;
    },
    reset: async () => {
      const reply = next((m) => (m["reset"] === true ? true : undefined));
      child.send("reset");
      await reply;
    },
    close: async () => {
      rss.stop();
      if (child.connected) child.send("close");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
