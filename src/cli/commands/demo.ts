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
 * `sent N, published N, missing 0, duplicates D`, after a line saying what the monitor applied and its
 * URL. Exits 0 only when nothing is missing and the monitor saw every event.
 */
export function demoCommand(): Command {
  return new Command("demo")
    .description("run the bridge end to end on loopback: emitter → bridge → dev sidecar, and check nothing is missing")
    .option("--count <n>", "events to send", positiveInteger("--count"), 4000)
    .option("--streams <n>", "concurrent streams (stand-ins for sidecars)", positiveInteger("--streams"), 4)
    .option("--real", "publish through a real daprd and Redis (needs `npm run build:daprd` and redis-server)", false)
    .option("--no-monitor", "do not run the monitor beside the demo")
    .option("--monitor-listen <host:port>", "where the demo's monitor listens", "127.0.0.1:0")
    .option("--keep-open", "keep the monitor running after the demo, until Ctrl-C", false)
    .action(
      async (flags: {
        count: number;
        streams: number;
        real: boolean;
        monitor: boolean;
        monitorListen: string;
        keepOpen: boolean;
      }) => {
        const stop = new AbortController();
        process.once("SIGINT", () => stop.abort());
        const result = await runDemo({
          count: flags.count,
          streams: flags.streams,
          real: flags.real,
          monitor: flags.monitor,
          monitorListen: flags.monitorListen,
          keepOpen: flags.keepOpen,
          signal: stop.signal,
        });
        process.exitCode = result.ok ? 0 : 1;
      },
    );
}
