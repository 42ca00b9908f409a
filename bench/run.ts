/**
 * `npm run bench`: the throughput and latency benchmark (docs/performance.md).
 * Options: --events N, --runs K, --json PATH, --scenarios a,b, --naive-events N, --streams S, --latency-seconds S,
 * --profile DIR (CPU profiles of the bridge child in bridge-memory and bridge-disk).
 */
import { Command, InvalidArgumentError } from "commander";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { exitWith } from "../src/cli/exit.js";
import { runBench } from "./harness.js";
import { checkTargets, formatTable, formatTargets } from "./report.js";
import { SCENARIOS, type ScenarioName } from "./scenario-types.js";

function integer(name: string, min: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}; given ${value}`);
    return n;
  };
}

function scenarioList(value: string): ScenarioName[] {
  const names = value
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  for (const name of names) {
    if (!(SCENARIOS as readonly string[]).includes(name))
      throw new InvalidArgumentError(`unknown scenario ${name}; expected some of ${SCENARIOS.join(",")}`);
  }
  return names as ScenarioName[];
}

interface Flags {
  readonly events: number;
  readonly runs: number;
  readonly json: string;
  readonly scenarios?: ScenarioName[];
  readonly streams: number;
  readonly naiveEvents?: number;
  readonly concurrency: number;
  readonly bridgeArg: string[];
  readonly latencySeconds: number;
  readonly profile?: string;
}

const program = new Command("bench")
  .description("throughput and latency of the bridge against a ceiling and a naive collector, over loopback")
  .option("--events <n>", "events per scenario", integer("--events", 1), 30_000)
  .option("--runs <k>", "repetitions (the table shows medians)", integer("--runs", 1), 1)
  .option("--json <path>", "where to write the JSON report", "bench/results.json")
  .option("--scenarios <list>", `comma-separated, of ${SCENARIOS.join(",")}`, scenarioList)
  .option(
    "--naive-events <n>",
    "events of the naive scenario (a prefix of the same load) [default: min(events, 5000)]",
    integer("--naive-events", 1),
  )
  .option(
    "--concurrency <n>",
    "workflow instances (and actor activations) in flight per stream: the active partition keys",
    integer("--concurrency", 1),
    50,
  )
  .option(
    "--bridge-arg <flag>",
    "extra flag for the bridge children, repeatable (e.g. --bridge-arg=--ordering --bridge-arg=none)",
    (v: string, all: string[]) => [...all, v],
    [] as string[],
  )
  .option("--streams <n>", "emitter streams (simulated daprd sidecars)", integer("--streams", 1), 4)
  .option(
    "--latency-seconds <s>",
    "length of each fixed-rate latency phase; 0 skips them",
    integer("--latency-seconds", 0),
    5,
  )
  .option("--profile <dir>", "write CPU profiles of the bridge child during bridge-memory and bridge-disk into DIR")
  .action(async (flags: Flags) => {
    const profileDir = flags.profile === undefined ? undefined : path.resolve(flags.profile);
    if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });
    const report = await runBench({
      events: flags.events,
      runs: flags.runs,
      streams: flags.streams,
      concurrency: flags.concurrency,
      ...(flags.naiveEvents === undefined ? {} : { naiveEvents: flags.naiveEvents }),
      ...(flags.scenarios === undefined ? {} : { scenarios: flags.scenarios }),
      progress: (line) => process.stderr.write(`${line}\n`),
      scenario: {
        latencySeconds: flags.latencySeconds,
        bridgeArgs: flags.bridgeArg,
        ...(profileDir === undefined ? {} : { profileDir }),
      },
    });
    const targets = checkTargets(report);
    process.stdout.write(`${formatTable(report)}\n\ntargets:\n${formatTargets(targets)}\n`);
    await mkdir(path.dirname(path.resolve(flags.json)), { recursive: true });
    await writeFile(flags.json, `${JSON.stringify({ ...report, targets }, null, 2)}\n`);
    process.stdout.write(`\nJSON report: ${flags.json}\n`);
    if (profileDir !== undefined)
      process.stdout.write(
        `CPU profile(s) in ${profileDir}; summarise with node dist/bench/profile-summary.js ${profileDir}\n`,
      );
  });

program.parseAsync(process.argv).catch((error: unknown) => exitWith(error));
