import { Command } from "commander";
import { tryParseHostPort } from "../../config/host-port.js";
import type { EmitResult, EmitterOptions } from "../../devtools/emitter.js";
import { emit } from "../../devtools/emitter.js";
import { BridgeError, ErrorCode } from "../../errors/bridge-error.js";
import { SINK_METHODS } from "../../proto/protos.js";
import type { SinkMethod } from "../../proto/protos.js";

/** The flags of `emit` as commander hands them over (strings, unparsed). */
export interface EmitFlags {
  readonly target: string;
  readonly count: string;
  readonly streams: string;
  readonly rate: string;
  readonly appId: string;
  readonly namespace: string;
  readonly seed: string;
  readonly method: string;
  readonly workflowRatio: string;
}

function invalidFlag(flag: string, expected: string, given: string): BridgeError {
  return new BridgeError(ErrorCode.InvalidConfig, `${flag}: expected ${expected}, got "${given}"`);
}

function numberFlag(flag: string, text: string, expected: string, valid: (value: number) => boolean): number {
  const value = Number(text);
  if (text.trim() === "" || !valid(value)) throw invalidFlag(flag, expected, text);
  return value;
}

/**
 * Turns the flags into emitter options. Throws an `invalid_config` BridgeError naming the flag,
 * what was expected and what was given.
 */
export function emitOptionsFromFlags(flags: EmitFlags): EmitterOptions {
  if (tryParseHostPort(flags.target) === undefined) throw invalidFlag("--target", "HOST:PORT", flags.target);
  const method = SINK_METHODS.find((m): m is SinkMethod => m === flags.method);
  if (method === undefined) throw invalidFlag("--method", SINK_METHODS.join(" | "), flags.method);
  if (flags.appId === "") throw invalidFlag("--app-id", "a non-empty app id", flags.appId);
  if (flags.namespace === "") throw invalidFlag("--namespace", "a non-empty namespace", flags.namespace);
  const count = numberFlag(
    "--count",
    flags.count,
    "an integer, 0 or more, per stream",
    (v) => Number.isSafeInteger(v) && v >= 0,
  );
  const streams = numberFlag(
    "--streams",
    flags.streams,
    "an integer, 1 or more",
    (v) => Number.isSafeInteger(v) && v >= 1,
  );
  const ratePerSec = numberFlag(
    "--rate",
    flags.rate,
    "events per second, 0 (unpaced) or more",
    (v) => Number.isFinite(v) && v >= 0,
  );
  const seed = numberFlag("--seed", flags.seed, "an integer", (v) => Number.isSafeInteger(v));
  const workflowRatio = numberFlag(
    "--workflow-ratio",
    flags.workflowRatio,
    "a number from 0 to 1",
    (v) => v >= 0 && v <= 1,
  );
  return {
    target: flags.target,
    method,
    appId: flags.appId,
    namespace: flags.namespace,
    count,
    streams,
    ratePerSec,
    seed,
    sequence: { workflowRatio },
  };
}

/** The summary lines `emit` prints. */
export function formatEmitSummary(result: EmitResult): string {
  const seconds = result.elapsedMs / 1000;
  const rate = seconds > 0 ? Math.round(result.sent / seconds) : result.sent;
  const acknowledged = result.streams.filter((s) => s.acknowledged).length;
  const lines = [
    `sent ${result.sent} events on ${result.streams.length} stream(s) in ${seconds.toFixed(2)} s (${rate} events/s)`,
    `acknowledged: ${result.acknowledged ? "yes" : "no"} (${acknowledged}/${result.streams.length} streams)`,
  ];
  for (const stream of result.streams) {
    if (stream.error !== undefined)
      lines.push(`  stream ${stream.stream}: ${stream.error.code}: ${stream.error.message}`);
  }
  return lines.join("\n") + "\n";
}

/**
 * `dapr-event-bridge emit`: streams generated workflow and actor events to a sink like daprd
 * would, prints a summary, and exits 1 when a stream was not acknowledged (the gRPC error named).
 * Bad flag values exit with status 2. SIGINT or SIGTERM cancel the streams.
 */
export function emitCommand(): Command {
  return new Command("emit")
    .description("stream generated Dapr workflow and actor events to a sink (a stand-in for daprd)")
    .option("--target <host:port>", "the sink's address", "127.0.0.1:50051")
    .option("--count <n>", "events per stream", "1000")
    .option("--streams <n>", "concurrent streams, each with its own keys", "1")
    .option("--rate <events/s>", "events per second over all streams; 0 = as fast as flow control allows", "0")
    .option("--app-id <id>", "sent as dapr-app-id", "demo-app")
    .option("--namespace <ns>", "sent as dapr-namespace", "default")
    .option("--seed <n>", "seed of the generated events (stream i uses seed + i)", "1")
    .option("--method <name>", `RPC to call: ${SINK_METHODS.join(" | ")}`, "SendEventsAlpha1")
    .option("--workflow-ratio <r>", "share of workflow events, 0..1", "0.7")
    .action(async (flags: EmitFlags, command: Command) => {
      let options: EmitterOptions;
      try {
        options = emitOptionsFromFlags(flags);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        command.error(`error: ${message}`, { exitCode: 2, code: "dapr-event-bridge.invalidFlag" });
      }
      const controller = new AbortController();
      const cancel = (): void => controller.abort();
      process.once("SIGINT", cancel);
      process.once("SIGTERM", cancel);
      let result: EmitResult;
      try {
        result = await emit(options, controller.signal);
      } finally {
        process.off("SIGINT", cancel);
        process.off("SIGTERM", cancel);
      }
      const output = command.configureOutput();
      (output.writeOut ?? ((text: string) => process.stdout.write(text)))(formatEmitSummary(result));
      if (!result.acknowledged) {
        const reason =
          result.error === undefined ? "no EventResponse" : `${result.error.code}: ${result.error.message}`;
        command.error(`error: not acknowledged by ${options.target}: ${reason}`, {
          exitCode: 1,
          code: "dapr-event-bridge.notAcknowledged",
        });
      }
    });
}
