import { Command } from "commander";
import { parseDurationMs } from "../../config/duration.js";
import { BridgeError, ErrorCode } from "../../errors/bridge-error.js";
import { createLogger } from "../../observability/logger.js";
import { Monitor } from "../../monitor/monitor.js";
import type { MonitorOptions, MonitorSubscription } from "../../monitor/options.js";
import { monitorQueryCommand } from "./monitor-query.js";

/** The flags of `monitor` as commander hands them over. */
export interface MonitorFlags {
  readonly listen?: string;
  readonly db?: string;
  readonly subscribe?: readonly string[];
  readonly subscribeJson?: readonly string[];
  readonly route?: string;
  readonly bulk?: boolean;
  readonly retention?: string;
  readonly stuckAfter?: string;
  readonly uiDir?: string;
  readonly logLevel?: string;
}

function subscriptionFlag(flag: string, value: string, rawPayload: boolean): MonitorSubscription {
  const match = /^([^/\s]+)\/([^/\s]+)$/.exec(value);
  if (match === null) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `${flag}: expected PUBSUB/TOPIC (for example pubsub/dapr-events), got ${JSON.stringify(value)}`,
    );
  }
  return { pubsub: match[1] as string, topic: match[2] as string, rawPayload };
}

function durationFlag(flag: string, value: string): number {
  const ms = parseDurationMs(value);
  if (ms === undefined) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `${flag}: expected a duration like "30m", "24h" or "168h", got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** Turns the flags into monitor options; a bad flag throws an `invalid_config` BridgeError naming it. */
export function monitorOptionsFromFlags(flags: MonitorFlags): MonitorOptions {
  const subscriptions = [
    ...(flags.subscribe ?? []).map((value) => subscriptionFlag("--subscribe", value, true)),
    ...(flags.subscribeJson ?? []).map((value) => subscriptionFlag("--subscribe-json", value, false)),
  ];
  return {
    ...(flags.listen === undefined ? {} : { listen: flags.listen }),
    ...(flags.db === undefined ? {} : { db: flags.db }),
    ...(subscriptions.length === 0 ? {} : { subscriptions }),
    ...(flags.route === undefined ? {} : { route: flags.route }),
    ...(flags.bulk === true ? { bulkSubscribe: { maxMessagesCount: 100, maxAwaitDurationMs: 40 } } : {}),
    ...(flags.retention === undefined
      ? {}
      : {
          retentionMs:
            flags.retention === "forever" ? Number.POSITIVE_INFINITY : durationFlag("--retention", flags.retention),
        }),
    ...(flags.stuckAfter === undefined ? {} : { stuckAfterMs: durationFlag("--stuck-after", flags.stuckAfter) }),
    ...(flags.uiDir === undefined ? {} : { uiDir: flags.uiDir }),
  };
}

const collect = (value: string, previous: readonly string[] = []): string[] => [...previous, value];

/**
 * `dapr-event-bridge monitor`: runs the monitor until SIGINT or SIGTERM (docs/monitor.md);
 * `monitor query ...` asks a running one.
 */
export function monitorCommand(): Command {
  return new Command("monitor")
    .description("a Dapr subscriber app that keeps a queryable projection of the bridge's workflow and actor events")
    .option("--listen <host:port>", "where the app, API, UI and metrics listen", "127.0.0.1:8181")
    .option("--db <path|url>", "SQLite file, or a postgres:// URL shared by replicas", "./data/monitor.sqlite")
    .option(
      "--subscribe <pubsub/topic>",
      "subscribe to the bridge's protobuf format (raw payload); repeatable",
      collect,
    )
    .option("--subscribe-json <pubsub/topic>", "subscribe to the bridge's json format; repeatable", collect)
    .option("--route <path>", "the path daprd posts events to", "/events")
    .option("--bulk", "ask daprd for bulk delivery (up to 100 events per request)", false)
    .option("--retention <duration>", 'prune terminal instances completed longer ago ("forever" keeps them)', "168h")
    .option("--stuck-after <duration>", "instances in flight longer than this count as stuck in /metrics", "1h")
    .option("--ui-dir <dir>", "serve the web UI from this folder instead of the package's monitor-ui/")
    .option("--log-level <level>", "fatal, error, warn, info, debug", "info")
    .addCommand(monitorQueryCommand())
    .action(async (flags: MonitorFlags) => {
      const logger = createLogger({ level: (flags.logLevel ?? "info") as "info" });
      const monitor = new Monitor(monitorOptionsFromFlags(flags), { logger });
      const { url } = await monitor.start();
      process.stdout.write(`monitor on ${url} (store ${monitor.options.db.replace(/\/\/[^@/]*@/, "//***@")})\n`);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", resolve);
        process.once("SIGTERM", resolve);
      });
      await monitor.close();
    });
}
