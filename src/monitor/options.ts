import { parseHostPort } from "../config/host-port.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** One programmatic subscription the monitor declares to its daprd (`GET /dapr/subscribe`). */
export interface MonitorSubscription {
  readonly pubsub: string;
  readonly topic: string;
  /**
   * `true` for the bridge's protobuf format (daprd wraps the bytes in its own envelope, which
   * `decodeDelivery` reads); `false` for the json format on an ordinary subscription.
   */
  readonly rawPayload: boolean;
}

/** Dapr's bulk subscribe: daprd posts up to `maxMessagesCount` events in one request. */
export interface MonitorBulkSubscribe {
  /** Most events in one delivery. @default 100 */
  readonly maxMessagesCount: number;
  /** Longest daprd waits to fill a delivery, ms. @default 40 */
  readonly maxAwaitDurationMs: number;
}

/** Options of the monitor. */
export interface MonitorOptions {
  /** Where the HTTP server listens (Dapr app port, API, UI, metrics), `HOST:PORT`. @default "127.0.0.1:8181" */
  readonly listen?: string;
  /** The store: a SQLite file path (or `:memory:`), or a `postgres://` / `postgresql://` URL. @default "./data/monitor.sqlite" */
  readonly db?: string;
  /** What the monitor subscribes to. @default [{ pubsub: "pubsub", topic: "dapr-events", rawPayload: true }] */
  readonly subscriptions?: readonly MonitorSubscription[];
  /** The route daprd posts events to. @default "/events" */
  readonly route?: string;
  /**
   * Ask daprd for bulk delivery (many events per request: fewer requests, larger batches). The
   * route takes single and bulk deliveries either way. @default undefined (one event per request)
   */
  readonly bulkSubscribe?: MonitorBulkSubscribe;
  /** Terminal instances completed longer ago than this are pruned, ms; `Infinity` keeps them. @default 7 days */
  readonly retentionMs?: number;
  /** How often retention runs, ms. @default 60000 */
  readonly pruneIntervalMs?: number;
  /** `GET /metrics` counts instances in flight for longer than this as stuck, ms. @default 3600000 */
  readonly stuckAfterMs?: number;
  /**
   * The token daprd sends as `dapr-api-token` (daprd's `APP_API_TOKEN`); when set, Dapr's routes
   * (`/dapr/subscribe` and the event route) refuse requests without it. @default process.env.APP_API_TOKEN
   */
  readonly appApiToken?: string;
  /** The web UI's folder. @default the package's `monitor-ui/` */
  readonly uiDir?: string;
  /** Most facts applied in one store transaction. @default 500 */
  readonly maxBatch?: number;
  /** Shortest gap between two `change` events of `GET /api/stream`, ms. @default 250 */
  readonly changeIntervalMs?: number;
}

/** {@link MonitorOptions} with every default applied. */
export type ResolvedMonitorOptions = Required<Omit<MonitorOptions, "appApiToken" | "bulkSubscribe">> & {
  readonly appApiToken: string | undefined;
  readonly bulkSubscribe: MonitorBulkSubscribe | undefined;
};

const DAY_MS = 86_400_000;

function invalid(option: string, expected: string, got: unknown, advice: string): BridgeError {
  return new BridgeError(
    ErrorCode.InvalidConfig,
    `monitor ${option}: expected ${expected}, got ${typeof got === "string" ? JSON.stringify(got) : String(got)}; ${advice}`,
  );
}

function positive(option: string, value: number, min: number, advice: string): number {
  if (!(typeof value === "number" && !Number.isNaN(value) && value >= min)) {
    throw invalid(option, `a number >= ${min}`, value, advice);
  }
  return value;
}

/** Whether `db` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * Applies defaults and checks every option; a bad value throws a BridgeError `invalid_config`
 * naming the option, what was expected, what was given and what to do.
 */
export function resolveMonitorOptions(options: MonitorOptions, defaultUiDir: string): ResolvedMonitorOptions {
  const listen = options.listen ?? "127.0.0.1:8181";
  parseHostPort(listen, "monitor --listen");
  const db = options.db ?? "./data/monitor.sqlite";
  if (db.trim() === "") throw invalid("--db", "a SQLite file path or a postgres:// URL", db, "pass --db");
  if (isPostgresUrl(db)) {
    try {
      new URL(db);
    } catch {
      throw invalid("--db", "a valid postgres:// URL", "a URL that does not parse", "check the host and port");
    }
  }
  const subscriptions = options.subscriptions ?? [{ pubsub: "pubsub", topic: "dapr-events", rawPayload: true }];
  for (const subscription of subscriptions) {
    if (subscription.pubsub === "" || subscription.topic === "") {
      throw invalid(
        "--subscribe",
        "PUBSUB/TOPIC with both parts non-empty",
        `${subscription.pubsub}/${subscription.topic}`,
        "for example --subscribe pubsub/dapr-events",
      );
    }
  }
  const route = options.route ?? "/events";
  if (!route.startsWith("/") || route.startsWith("/api/") || route === "/metrics") {
    throw invalid("--route", "a path starting with / outside /api/ and /metrics", route, "for example /events");
  }
  const retentionMs = options.retentionMs ?? 7 * DAY_MS;
  positive("--retention", retentionMs, 60_000, 'use a duration of at least 1m, or "forever"');
  const bulk = options.bulkSubscribe;
  if (bulk !== undefined) {
    positive("bulkSubscribe.maxMessagesCount", bulk.maxMessagesCount, 1, "use at least 1 (100 is Dapr's default)");
    positive("bulkSubscribe.maxAwaitDurationMs", bulk.maxAwaitDurationMs, 0, "use 0 or more ms");
  }
  return {
    listen,
    db,
    subscriptions,
    route,
    bulkSubscribe: bulk,
    retentionMs,
    pruneIntervalMs: positive("pruneIntervalMs", options.pruneIntervalMs ?? 60_000, 100, "use at least 100 ms"),
    stuckAfterMs: positive("--stuck-after", options.stuckAfterMs ?? 3_600_000, 1_000, "use a duration of at least 1s"),
    appApiToken: options.appApiToken ?? nonEmpty(process.env["APP_API_TOKEN"]),
    uiDir: options.uiDir ?? defaultUiDir,
    maxBatch: positive("maxBatch", options.maxBatch ?? 500, 1, "use at least 1"),
    changeIntervalMs: positive("changeIntervalMs", options.changeIntervalMs ?? 250, 0, "use 0 or more ms"),
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
