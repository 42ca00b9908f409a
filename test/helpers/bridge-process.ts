import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { compareDelivery, type ReceivedPayload, type SentFrame } from "../../src/devtools/delivery-check.js";
import { DevSidecar, type DevSidecarOptions } from "../../src/devtools/dev-sidecar.js";
import type { SentFrame as EmittedFrame } from "../../src/devtools/emitter.js";
import type { ProcessExit } from "../../src/devtools/local-processes.js";
import { tempDir } from "./config.js";

/** The compiled CLI the process tests run (`npm run build` makes it). */
export const BRIDGE_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../dist/src/cli/main.js");

/** One pino line of the bridge's stderr, parsed. */
export interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

/** How a bridge process ended. */
export type BridgeExit = ProcessExit;

/** A running `dapr-event-bridge run` child process. */
export interface BridgeProcess {
  /** The sink's `HOST:PORT`, from the `sink listening` log line. */
  readonly address: string;
  readonly pid: number;
  /** Every JSON line of stderr so far, parsed, in order. */
  readonly logs: readonly LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resident set size now, in bytes (`VmRSS` of /proc/<pid>/status); 0 once the process is gone. */
  rssBytes(): number;
  /** Sends `signal`; does nothing once the process has exited. */
  kill(signal: NodeJS.Signals): void;
  /** Settles when the process has exited (and been reaped). */
  readonly exited: Promise<BridgeExit>;
  /** SIGKILLs the process if it still runs, and waits for its exit. Idempotent. */
  stop(): Promise<BridgeExit>;
}

/** The bridge exited before its sink was listening. */
export class BridgeExitedEarly extends Error {
  override readonly name = "BridgeExitedEarly";
  constructor(
    readonly exit: BridgeExit,
    readonly stderrText: string,
  ) {
    super(
      `the bridge exited (code ${String(exit.code)}, signal ${String(exit.signal)}) before listening:\n${stderrText}`,
    );
  }
}

/** Options of {@link spawnBridge}. */
export interface SpawnBridgeOptions {
  /** Extra environment; `BRIDGE_*` and `DAPR_*` of the test process are never passed on. @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** How long to wait for the `sink listening` line, ms. @default 20000 */
  readonly startTimeoutMs?: number;
  /** Aborting it before the sink listens kills the process and rejects. */
  readonly signal?: AbortSignal;
}

const spawned = new Set<BridgeProcess>();

/** The environment of a child: the test's own, without settings that would leak into the bridge. */
function childEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("BRIDGE_") && !name.startsWith("DAPR_")) env[name] = value;
  }
  return { ...env, ...extra };
}

function readRss(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/**
 * Starts `node dist/src/cli/main.js run <args>` and resolves once its sink listens. Rejects
 * with {@link BridgeExitedEarly} (exit status and the whole stderr) when the process exits
 * first, or with an Error after `startTimeoutMs` (the process is killed then).
 * Every process started here is stopped by {@link stopAllBridges}.
 */
export function spawnBridge(args: readonly string[], options: SpawnBridgeOptions = {}): Promise<BridgeProcess> {
  const startTimeoutMs = options.startTimeoutMs ?? 20_000;
  const child: ChildProcess = spawn(process.execPath, [BRIDGE_MAIN, "run", ...args], {
    env: childEnv(options.env ?? {}),
    stdio: ["ignore", "ignore", "pipe"],
  });
  const logs: LogLine[] = [];
  let stderrText = "";
  let partial = "";
  let exitInfo: BridgeExit | undefined;
  const exited = new Promise<BridgeExit>((resolve) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolve(exitInfo);
    });
  });
  // 'close' comes after 'exit' once stderr is read to its end.
  const closed = new Promise<void>((resolve) => child.once("close", () => resolve()));
  let onLine: (line: LogLine) => void = () => undefined;
  child.stderr?.setEncoding("utf8");
  child.stderr?.on("data", (chunk: string) => {
    stderrText += chunk;
    const lines = (partial + chunk).split("\n");
    partial = lines.pop() ?? "";
    for (const text of lines) {
      if (!text.startsWith("{")) continue;
      try {
        const line = JSON.parse(text) as LogLine;
        logs.push(line);
        onLine(line);
      } catch {
        // Not a log line (a crash trace): kept in stderr only.
      }
    }
  });
  const pid = child.pid ?? -1;
  const handle: BridgeProcess = {
    address: "",
    pid,
    logs,
    stderr: () => stderrText,
    rssBytes: () => (exitInfo === undefined ? readRss(pid) : 0),
    kill: (signal) => {
      if (exitInfo === undefined) child.kill(signal);
    },
    exited,
    stop: async () => {
      if (exitInfo === undefined) child.kill("SIGKILL");
      const exit = await exited;
      spawned.delete(handle);
      return exit;
    },
  };
  spawned.add(handle);
  const { signal } = options;
  return new Promise<BridgeProcess>((resolve, reject) => {
    const fail = (reason: Error): void => {
      void handle.stop();
      reject(reason);
    };
    const onAbort = (): void =>
      fail(new Error("spawnBridge was aborted before the bridge listened", { cause: signal?.reason }));
    const timer = setTimeout(
      () => fail(new Error(`the bridge did not log "sink listening" within ${startTimeoutMs} ms:\n${stderrText}`)),
      startTimeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    onLine = (line) => {
      if (line.msg !== "sink listening" || typeof line["address"] !== "string") return;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      onLine = () => undefined;
      resolve({ ...handle, address: line["address"] });
    };
    if (signal?.aborted === true) onAbort();
    void exited.then((exit) => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      spawned.delete(handle);
      void closed.then(() => reject(new BridgeExitedEarly(exit, stderrText)));
    });
  });
}

/** SIGKILLs every bridge process still running and waits for them (for `afterEach`). */
export async function stopAllBridges(): Promise<void> {
  await Promise.all([...spawned].map((bridge) => bridge.stop()));
}

/** Options of {@link bridgeArgs}. */
export interface BridgeArgsOptions {
  /** The dev sidecar's `HOST:PORT`. */
  readonly sidecar: string;
  readonly spoolDir: string;
  /** More flags, appended (later flags win). @default [] */
  readonly extra?: readonly string[];
}

/** The flags every process test starts with: loopback port 0, no metrics, info logs, fast retries. */
export function bridgeArgs(options: BridgeArgsOptions): string[] {
  return [
    "--listen",
    "127.0.0.1:0",
    "--metrics-listen",
    "",
    "--dapr-grpc-endpoint",
    options.sidecar,
    "--spool-dir",
    options.spoolDir,
    "--log-level",
    "info",
    "--retry-initial-backoff",
    "5ms",
    "--retry-max-backoff",
    "200ms",
    ...(options.extra ?? []),
  ];
}

/** A row of the spool's `events` table, as the test reads it. */
export interface SpoolRow {
  readonly seq: number;
  readonly id: string;
  readonly key: string;
  readonly topic: string;
  readonly state: string;
  /** The CloudEvent as published (protobuf format). */
  readonly payload: Buffer;
}

/** The spool database of a spool directory. */
export function spoolFile(dir: string): string {
  return path.join(dir, "spool.db");
}

function withSpool<T>(dir: string, empty: T, read: (db: Database.Database) => T): T {
  const file = spoolFile(dir);
  if (!existsSync(file)) return empty;
  // Read-only beside the running bridge: WAL lets a reader see every committed transaction.
  const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** The rows committed to the spool in `dir`, oldest first ([] when there is no file yet). */
export function readSpoolRows(dir: string): SpoolRow[] {
  return withSpool(dir, [], (db) =>
    db.prepare<[], SpoolRow>("SELECT seq, id, key, topic, state, payload FROM events ORDER BY seq").all(),
  );
}

/** How many rows the spool in `dir` holds (0 when there is no file yet, or no table yet). */
export function countSpoolRows(dir: string): number {
  return withSpool(dir, 0, (db) => {
    const table = db.prepare("SELECT 1 FROM sqlite_schema WHERE name = 'events'").get();
    return table === undefined ? 0 : (db.prepare<[], { n: number }>("SELECT count(*) AS n FROM events").get()?.n ?? 0);
  });
}

/** Spool rows as the payloads a sidecar would receive, for `compareDelivery`. */
export function rowsAsPayloads(rows: readonly SpoolRow[]): ReceivedPayload[] {
  return rows.map((row) => ({ data: row.payload, contentType: "application/cloudevents+protobuf" }));
}

/**
 * The value of one series of the bridge's `/metrics` (a `--metrics-listen` must be set): reads
 * the listener's address from the `bridge running` log line. Undefined when the series is absent.
 */
export async function scrapeMetric(
  bridge: BridgeProcess,
  name: string,
  signal?: AbortSignal,
): Promise<number | undefined> {
  const running = bridge.logs.find((line) => line.msg === "bridge running");
  const address = running?.["metrics"];
  if (typeof address !== "string")
    throw new Error("the bridge has not logged its metrics address: start it with --metrics-listen");
  const response = await fetch(`http://${address}/metrics`, signal === undefined ? {} : { signal });
  const text = await response.text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

/** SHA-256 of a file, hex. */
export function sha256File(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

/** Dev sidecars and temp directories of one test file, closed together. */
export interface ProcessTestKit {
  /** Starts a dev sidecar on loopback port 0. */
  sidecar(options?: DevSidecarOptions): Promise<{ sidecar: DevSidecar; address: string }>;
  /** A new temp directory. */
  dir(): string;
  /** Stops every bridge process, closes the sidecars and removes the directories (for `afterEach`). */
  close(): Promise<void>;
}

/** Creates a {@link ProcessTestKit}. */
export function processTestKit(): ProcessTestKit {
  const sidecars: DevSidecar[] = [];
  const removals: Array<() => void> = [];
  return {
    sidecar: async (options = {}) => {
      const sidecar = new DevSidecar({ listen: "127.0.0.1:0", ...options });
      sidecars.push(sidecar);
      const { address } = await sidecar.start();
      return { sidecar, address };
    },
    dir: () => {
      const { dir, remove } = tempDir("bridge-durability-");
      removals.push(remove);
      return dir;
    },
    close: async () => {
      await stopAllBridges();
      await Promise.all(sidecars.splice(0).map((s) => s.close()));
      for (const remove of removals.splice(0)) remove();
    },
  };
}

/** A sent frame with its event family (`workflow` or `actor`). */
export interface TrackedFrame extends SentFrame {
  readonly family: string;
}

/** Records what an emitter wrote (pass `onSent` to `emit`), with each event's key and family. */
export function recorder(): { readonly sent: TrackedFrame[]; readonly onSent: (frame: EmittedFrame) => void } {
  const sent: TrackedFrame[] = [];
  return {
    sent,
    onSent: (frame) =>
      sent.push({ bytes: frame.bytes, key: frame.event?.key ?? "", family: frame.event?.family ?? "" }),
  };
}

/** Whether every sent event is among `received`: a count first, since the full comparison decodes everything. */
export function allArrived(sent: readonly SentFrame[], received: readonly ReceivedPayload[]): boolean {
  return received.length >= sent.length && compareDelivery(sent, received).missing === 0;
}
