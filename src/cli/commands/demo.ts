import { Command, InvalidArgumentError } from "commander";
import { runDemo } from "../../devtools/demo.js";

function positiveInteger(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1)
      throw new InvalidArgumentError(`${flag}: expected a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
}

/**
 * `dapr-event-bridge demo [--real]`: dev sidecar (or real daprd and Redis) + bridge + emitter on
 * free loopback ports; prints
 * progress, a few decoded CloudEvents, a count per type and
 * `sent N, published N, missing 0, duplicates D`. Exits 0 only when nothing is missing.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("run the bridge end to end on loopback: emitter → bridge → dev sidecar, and check nothing is missing")
    .option("--count <n>", "events to send", positiveInteger("--count"), 4000)
    .option("--streams <n>", "concurrent streams (stand-ins for sidecars)", positiveInteger("--streams"), 4)
    .option("--real", "publish through a real daprd and Redis (needs `npm run build:daprd` and redis-server)", false)
    .action(async (flags: { count: number; streams: number; real: boolean }) => {
      const result = await runDemo({ count: flags.count, streams: flags.streams, real: flags.real });
      process.exitCode = result.ok ? 0 : 1;
    });
}
