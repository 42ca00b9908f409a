import { spawn } from "node:child_process";

/**
 * The V8 old-space cap of `run`, MB, unless the user names one. Without a cap V8 lets the old
 * space grow before it collects, which shows as resident memory without being held data; the
 * bridge's own data is bounded (the window, the spool's page cache).
 */
export const DEFAULT_HEAP_CAP_MB = 128;

/** Set in the environment of the relaunched bridge: it ends itself when its launcher is gone. */
export const RELAUNCHED_ENV = "DAPR_EVENT_BRIDGE_RELAUNCHED";

/** The commands that are not the long-running bridge: they run as they are, without a relaunch. */
const OTHER_COMMANDS: ReadonlySet<string> = new Set([
  "emit",
  "dev-sidecar",
  "demo",
  "spool",
  "dead-letters",
  "config",
  "help",
  "-h",
  "--help",
  "-V",
  "--version",
]);

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

function namesHeapCap(flags: readonly string[]): boolean {
  return flags.some((flag) => /^--max[-_]old[-_]space[-_]size(=|$)/.test(flag));
}

/**
 * Whether this invocation runs the bridge (`run`, or no command) without a heap cap of the
 * user's (`--max-old-space-size` in the node flags or in `NODE_OPTIONS`): then it relaunches
 * itself with {@link DEFAULT_HEAP_CAP_MB}.
 */
export function needsHeapCap(args: readonly string[], execArgv: readonly string[], nodeOptions?: string): boolean {
  if (namesHeapCap(execArgv) || namesHeapCap((nodeOptions ?? "").split(/\s+/))) return false;
  const first = args[0];
  return first === undefined || !OTHER_COMMANDS.has(first);
}

/**
 * Runs `script args` again in a child node with the heap cap and this process's node flags,
 * and stands in for it: the child has its own process group (a terminal's Ctrl-C reaches it
 * once, through this process), SIGTERM, SIGINT and SIGHUP are forwarded, and this process ends
 * as the child did (same exit code, or the same signal). The child watches an IPC channel and
 * ends itself at once if this process is killed (see {@link endWithLauncher}).
 */
export function relaunchWithHeapCap(script: string, args: readonly string[]): void {
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${DEFAULT_HEAP_CAP_MB}`, ...process.execArgv, script, ...args],
    { stdio: ["inherit", "inherit", "inherit", "ipc"], detached: true, env: { ...process.env, [RELAUNCHED_ENV]: "1" } },
  );
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child.once("error", (error) => {
    process.stderr.write(`dapr-event-bridge: could not start the bridge with a heap cap: ${error.message}\n`);
    process.exit(1);
  });
  child.once("exit", (code, signal) => {
    for (const forwarded of FORWARDED_SIGNALS) process.off(forwarded, forward);
    if (signal !== null) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

/**
 * In a relaunched bridge: when the launcher is gone without forwarding a signal (SIGKILL), end
 * at once as it did, so no bridge outlives it holding the spool. Nothing committed is lost: the
 * spool keeps it for the next start, as after any crash.
 */
export function endWithLauncher(): void {
  if (process.env[RELAUNCHED_ENV] !== "1" || process.channel === undefined) return;
  // The channel must not keep the bridge alive; it only tells when the launcher is gone.
  process.channel.unref();
  process.once("disconnect", () => process.kill(process.pid, "SIGKILL"));
}
