import { status as GrpcStatus } from "@grpc/grpc-js";
import { tryParseHostPort } from "../../config/host-port.js";
import { Command } from "commander";
import { DEV_SIDECAR_DAPR_VERSION, DevSidecar, type DevSidecarOptions } from "../../devtools/dev-sidecar.js";
import { parseGrpcStatus, type DevSidecarFaults } from "../../devtools/dev-sidecar-faults.js";
import { BridgeError, ErrorCode } from "../../errors/bridge-error.js";

/** The flags of `dev-sidecar` as commander hands them over (strings, unparsed). */
export interface DevSidecarFlags {
  readonly listen: string;
  readonly print?: boolean;
  readonly failureRate?: string;
  readonly failureCode?: string;
  readonly latencyMs?: string;
  /** `true` when given without a name: read DAPR_API_TOKEN. */
  readonly apiTokenEnv?: string | true;
  readonly seed?: string;
  readonly daprVersion?: string;
  readonly brokerDown?: boolean;
  /** Comma-separated topics refused with PERMISSION_DENIED. */
  readonly rejectTopics?: string;
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
 * Turns the flags into sidecar options. Throws an `invalid_config` BridgeError naming the flag,
 * what was expected and what was given.
 */
export function devSidecarOptionsFromFlags(
  flags: DevSidecarFlags,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DevSidecarOptions {
  if (tryParseHostPort(flags.listen) === undefined) throw invalidFlag("--listen", "HOST:PORT", flags.listen);
  const faults: { -readonly [K in keyof DevSidecarFaults]?: DevSidecarFaults[K] } = {};
  if (flags.failureRate !== undefined) {
    faults.failureRate = numberFlag(
      "--failure-rate",
      flags.failureRate,
      "a number from 0 to 1",
      (v) => v >= 0 && v <= 1,
    );
  }
  if (flags.failureCode !== undefined) {
    const code = parseGrpcStatus(flags.failureCode);
    if (code === undefined)
      throw invalidFlag("--failure-code", "a gRPC status name (UNAVAILABLE) or number 1-16", flags.failureCode);
    faults.failureCode = code;
  }
  if (flags.latencyMs !== undefined) {
    faults.latencyMs = numberFlag(
      "--latency-ms",
      flags.latencyMs,
      "milliseconds, 0 or more",
      (v) => Number.isFinite(v) && v >= 0,
    );
  }
  let apiToken: string | undefined;
  if (flags.apiTokenEnv !== undefined) {
    const name = flags.apiTokenEnv === true ? "DAPR_API_TOKEN" : flags.apiTokenEnv;
    apiToken = env[name];
    if (apiToken === undefined || apiToken === "") {
      throw invalidFlag("--api-token-env", `environment variable ${name} to hold a token`, "unset or empty");
    }
  }
  if (flags.brokerDown !== undefined) faults.brokerDown = flags.brokerDown;
  if (flags.rejectTopics !== undefined) {
    const topics = flags.rejectTopics.split(",").map((t) => t.trim());
    if (topics.some((t) => t === ""))
      throw invalidFlag("--reject-topics", "comma-separated topic names", flags.rejectTopics);
    faults.rejectTopics = Object.fromEntries(topics.map((t) => [t, GrpcStatus.PERMISSION_DENIED]));
  }
  if (flags.daprVersion !== undefined && !/^\S+$/.test(flags.daprVersion)) {
    throw invalidFlag("--dapr-version", "a daprd version such as 1.16.5", flags.daprVersion);
  }
  return {
    listen: flags.listen,
    print: flags.print ?? false,
    faults,
    ...(apiToken === undefined ? {} : { apiToken }),
    ...(flags.daprVersion === undefined ? {} : { daprVersion: flags.daprVersion }),
    ...(flags.seed === undefined
      ? {}
      : { seed: numberFlag("--seed", flags.seed, "an integer", (v) => Number.isSafeInteger(v)) }),
  };
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onInt = (): void => done("SIGINT");
    const onTerm = (): void => done("SIGTERM");
    const done = (signal: NodeJS.Signals): void => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      resolve(signal);
    };
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
  });
}

/**
 * `dapr-event-bridge dev-sidecar`: runs a {@link DevSidecar} (a stand-in Dapr sidecar that
 * accepts publishes and keeps them in memory) until SIGINT or SIGTERM, then prints the counts per
 * pubsub and topic. Bad flag values exit with status 2.
 */
export function devSidecarCommand(): Command {
  return new Command("dev-sidecar")
    .description("run a stand-in Dapr sidecar (gRPC runtime API) that accepts publishes, for tests and demos")
    .option("--listen <host:port>", "where to listen (port 0 = a free port)", "127.0.0.1:50001")
    .option("--print", "print a line per received event")
    .option("--failure-rate <rate>", "share of publish calls that fail, 0..1")
    .option("--failure-code <status>", "gRPC status of injected failures (name or number)", "UNAVAILABLE")
    .option("--latency-ms <ms>", "delay before answering a publish call")
    .option(
      "--api-token-env [name]",
      "require the dapr-api-token held by this environment variable (default DAPR_API_TOKEN)",
    )
    .option("--seed <n>", "seed of the failure draws, for reproducible runs")
    .option("--broker-down", "fail every publish with INTERNAL, as daprd does when its broker is down")
    .option(
      "--reject-topics <topics>",
      "comma-separated topics refused with PERMISSION_DENIED, as daprd's publishingScopes do",
    )
    .option(
      "--dapr-version <version>",
      "daprd release to behave as: GetMetadata's runtime_version; before 1.17 BulkPublishEvent answers daprd's proxy UNKNOWN",
      DEV_SIDECAR_DAPR_VERSION,
    )
    .action(async (flags: DevSidecarFlags, command: Command) => {
      let sidecar: DevSidecar;
      try {
        sidecar = new DevSidecar(devSidecarOptionsFromFlags(flags));
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        command.error(`error: ${message}`, { exitCode: 2, code: "dapr-event-bridge.invalidFlag" });
      }
      const { address } = await sidecar.start();
      process.stdout.write(`dev-sidecar listening on ${address}\n`);
      const signal = await untilSignal();
      await sidecar.close();
      const stats = sidecar.stats();
      process.stdout.write(
        `dev-sidecar stopped (${signal}): ${stats.received} events, ${stats.calls} calls, ${stats.failuresInjected} failures injected\n`,
      );
      for (const { pubsub, topic, count } of sidecar.counts()) process.stdout.write(`  ${pubsub}/${topic}: ${count}\n`);
    });
}
