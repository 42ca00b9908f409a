import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** How a managed process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Options of {@link startProcess}. */
export interface StartProcessOptions {
  /** Name for messages, e.g. "daprd bridge-sidecar". */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * A child process a test started: its output is kept (the last 64 KiB) for failure messages, and
 * {@link ManagedProcess.stop} is idempotent. Every process a test file starts is stopped by
 * {@link stopAllProcesses} in an `afterAll`.
 */
export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr interleaved, the last 64 KiB. */
  output(): string;
  readonly exited: Promise<ProcessExit>;
  /** True until the process has exited. */
  running(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<ProcessExit>;
  /** SIGKILL at once; resolves when it has exited. */
  kill(): Promise<ProcessExit>;
}

const OUTPUT_LIMIT = 64 * 1024;
const live = new Set<ManagedProcess>();

/** Starts a child process that {@link stopAllProcesses} will stop. */
export function startProcess(options: StartProcessOptions): ManagedProcess {
  const child: ChildProcess = spawn(options.command, [...options.args], {
    env: options.env ?? process.env,
    cwd: options.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let text = "";
  let done = false;
  const append = (chunk: Buffer): void => {
    text = (text + chunk.toString("utf8")).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exited = new Promise<ProcessExit>((resolve, reject) => {
    child.once("error", (error) => {
      done = true;
      reject(new Error(`${options.name}: could not start ${options.command}: ${error.message}`, { cause: error }));
    });
    child.once("exit", (code, signal) => {
      done = true;
      resolve({ code, signal });
    });
  });
  // A start failure is reported through `exited`; keep it from being an unhandled rejection.
  exited.catch(() => undefined);
  const signalAndWait = async (signal: NodeJS.Signals, graceMs: number): Promise<ProcessExit> => {
    if (!done) child.kill(signal);
    const timer = setTimeout(() => {
      if (!done) child.kill("SIGKILL");
    }, graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };
  const managed: ManagedProcess = {
    name: options.name,
    pid: child.pid ?? -1,
    output: () => text,
    exited,
    running: () => !done,
    stop: (graceMs = 10_000) => signalAndWait("SIGTERM", graceMs),
    kill: () => signalAndWait("SIGKILL", 0),
  };
  live.add(managed);
  void exited.finally(() => live.delete(managed)).catch(() => undefined);
  return managed;
}

/** Stops every process started by this test file that still runs. */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((process) => process.stop(5_000).catch(() => undefined)));
}

/** A free TCP port on 127.0.0.1 (bound and released; the caller binds it next). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === "object") resolve(address.port);
        else reject(new Error("no port was bound"));
      });
    });
  });
}

/**
 * Waits until `ready()` resolves true, failing early with the process's output when the process
 * exits first, or after `timeoutMs`.
 */
export async function waitForProcess(
  managed: ManagedProcess,
  what: string,
  ready: () => Promise<boolean> | boolean,
  timeoutMs = 30_000,
): Promise<void> {
  let exit: ProcessExit | undefined;
  void managed.exited.then(
    (value) => (exit = value),
    () => (exit = { code: null, signal: null }),
  );
  try {
    await waitFor(
      async () => {
        if (exit !== undefined) return true;
        try {
          return await ready();
        } catch {
          return false;
        }
      },
      { timeoutMs, what: `${managed.name}: ${what}` },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- output of ${managed.name} ---\n${managed.output()}`);
  }
  if (exit !== undefined) {
    throw new Error(
      `${managed.name} exited (code ${String(exit.code)}, signal ${String(exit.signal)}) before ${what}:\n${managed.output()}`,
    );
  }
}

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** @default 30000 */
  readonly timeoutMs?: number;
  /** What is awaited, for the timeout message. */
  readonly what: string;
}

/**
 * Waits until `condition()` is true, checking at growing intervals (10 ms up to 250 ms): for
 * conditions that need I/O, such as a port that answers. Throws after `timeoutMs`.
 */
export async function waitFor(condition: () => Promise<boolean> | boolean, options: WaitForOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let interval = 10;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, interval));
    interval = Math.min(250, interval * 2);
  }
}
