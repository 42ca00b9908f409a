import { Command } from "commander";
import { BridgeError } from "../../errors/bridge-error.js";
import { spoolStats } from "../../spool/spool-admin.js";
import { parsePrometheusText } from "../../observability/prometheus-text.js";

/** The spool directory when `--spool-dir` is not given (docs/contract.md §5). */
export const DEFAULT_SPOOL_DIR = "./data";

/** Writes to the command's standard output (commander's `configureOutput`, so tests can capture it). */
export function writeOut(command: Command, text: string): void {
  const output = command.configureOutput();
  if (output.writeOut === undefined) process.stdout.write(text);
  else output.writeOut(text);
}

/**
 * Ends a command with the error's message on standard error and exit code 2. Goes through
 * `command.error`, so `exitOverride()` turns it into a thrown CommanderError in tests.
 */
export function failCommand(command: Command, reason: unknown): never {
  const error = BridgeError.from(reason);
  return command.error(error.message, { exitCode: 2, code: `bridge.${error.code}` });
}

/** A size in bytes for people: `512 B`, `1.5 KiB`, `3.2 MiB`. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit] ?? "B"}`;
}

/** A duration for people: `350ms`, `42s`, `5m 3s`, `2h 10m`, `3d 4h`. */
export function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const seconds = Math.floor(ms / 1000);
  const parts: Array<[number, string]> = [
    [Math.floor(seconds / 86_400), "d"],
    [Math.floor((seconds % 86_400) / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "m"],
    [seconds % 60, "s"],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  return parts
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value}${unit}`)
    .join(" ");
}

interface StatsFlags {
  spoolDir: string;
  json?: boolean;
  metricsUrl: string;
}

/** Where `spool stats` asks a running bridge for its in-flight events. */
const DEFAULT_METRICS_URL = "http://127.0.0.1:9464/metrics";

/**
 * Events in flight, read from a running bridge's metrics (the spool file cannot know them):
 * undefined when no bridge answers within a second.
 */
async function inFlightEvents(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return undefined;
    return parsePrometheusText(await response.text()).get("dapr_event_bridge_in_flight_events");
  } catch {
    return undefined;
  }
}

/**
 * `spool stats [--spool-dir DIR] [--metrics-url URL] [--json]`: pending and dead events, bytes
 * held and the age of the oldest pending event, read from the spool file without writing (safe
 * beside a running bridge), and the events in flight, asked of the running bridge's metrics
 * endpoint ("unknown" when none answers). Errors print what went wrong and what to do, and
 * exit with code 2.
 */
export function spoolCommand(): Command {
  const spool = new Command("spool").description("Inspect the bridge's durable spool");
  spool
    .command("stats")
    .description("Print pending, in-flight and dead events, bytes held and the oldest pending event's age")
    .option("--spool-dir <dir>", "the spool directory", DEFAULT_SPOOL_DIR)
    .option("--metrics-url <url>", "a running bridge's /metrics, asked for the events in flight", DEFAULT_METRICS_URL)
    .option("--json", "print JSON")
    .action(async (_options: unknown, command: Command) => {
      const flags = command.opts<StatsFlags>();
      try {
        const stats = spoolStats(flags.spoolDir);
        const inFlight = await inFlightEvents(flags.metricsUrl);
        const now = Date.now();
        const oldestPendingAgeMs =
          stats.oldestPendingAcceptedAt === undefined ? null : Math.max(0, now - stats.oldestPendingAcceptedAt);
        if (flags.json === true) {
          const json = {
            file: stats.file,
            pending: stats.pending,
            inFlight: inFlight ?? null,
            dead: stats.dead,
            bytes: stats.bytes,
            oldestPendingAgeMs,
            oldestPendingAcceptedAt: stats.oldestPendingAcceptedAt ?? null,
            oldestDeadAt: stats.oldestDeadAt ?? null,
          };
          writeOut(command, `${JSON.stringify(json, null, 2)}\n`);
          return;
        }
        const rows: Array<[string, string]> = [
          ["spool", stats.file],
          ["pending", String(stats.pending)],
          [
            "in flight",
            inFlight === undefined ? `unknown (no bridge answered at ${flags.metricsUrl})` : String(inFlight),
          ],
          ["dead", String(stats.dead)],
          ["bytes", `${formatBytes(stats.bytes)} (${stats.bytes})`],
          ["oldest pending", oldestPendingAgeMs === null ? "-" : `${formatAge(oldestPendingAgeMs)} ago`],
        ];
        writeOut(command, rows.map(([label, value]) => `${label.padEnd(16)}${value}\n`).join(""));
      } catch (reason) {
        failCommand(command, reason);
      }
    });
  return spool;
}
