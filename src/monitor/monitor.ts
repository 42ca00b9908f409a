import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { parseHostPort } from "../config/host-port.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { silentLogger, type Logger } from "../observability/logger.js";
import { ChangeStream } from "./change-stream.js";
import { IngestQueue } from "./ingest-queue.js";
import { MonitorMetrics } from "./monitor-metrics.js";
import { isPostgresUrl, resolveMonitorOptions, type MonitorOptions, type ResolvedMonitorOptions } from "./options.js";
import { openPostgresStore } from "./postgres-store.js";
import { handle } from "./routes.js";
import { PRUNE_BATCH } from "./sql-queries.js";
import { openSqliteStore } from "./sqlite-store.js";
import { DEFAULT_UI_DIR } from "./static-ui.js";
import type { MonitorStore } from "./store.js";

/** Where a monitor is in its life; `/healthz` answers 200 only while `running`. */
export type MonitorStatus = "created" | "starting" | "running" | "closing" | "closed";

/** Opens the store `db` names: a `postgres://` URL, else a SQLite file. */
export async function openStore(db: string): Promise<MonitorStore> {
  return isPostgresUrl(db) ? openPostgresStore({ url: db }) : openSqliteStore({ file: db });
}

/**
 * `dapr-event-bridge monitor`: a Dapr HTTP subscriber app that keeps a projection of the bridge's
 * events (docs/monitor.md), and serves the query API, the live stream, the metrics and the web UI
 * on the same port.
 */
export class Monitor {
  readonly options: ResolvedMonitorOptions;
  readonly #logger: Logger;
  readonly #metrics = new MonitorMetrics();
  #status: MonitorStatus = "created";
  #store: MonitorStore | undefined;
  #server: Server | undefined;
  #stream: ChangeStream | undefined;
  #queue: IngestQueue | undefined;
  #pruner: NodeJS.Timeout | undefined;
  #pruning: Promise<unknown> = Promise.resolve();

  constructor(options: MonitorOptions = {}, dependencies: { logger?: Logger; store?: MonitorStore } = {}) {
    this.options = resolveMonitorOptions(options, DEFAULT_UI_DIR);
    this.#logger = dependencies.logger ?? silentLogger();
    this.#store = dependencies.store;
  }

  get status(): MonitorStatus {
    return this.#status;
  }

  /** What this process has taken in: events applied, duplicates ignored, deliveries refused. */
  stats(): { ingested: number; duplicates: number; dropped: number } {
    const metrics = this.#metrics;
    let dropped = 0;
    for (const n of metrics.dropped.values()) dropped += n;
    return { ingested: metrics.ingested, duplicates: metrics.duplicates, dropped };
  }

  /** Requests daprd made on the event route: single events, and bulk deliveries. */
  deliveries(): { single: number; bulk: number } {
    return { ...this.#metrics.deliveries };
  }

  /** The store, once started. */
  get store(): MonitorStore {
    if (this.#store === undefined) throw new BridgeError(ErrorCode.Internal, "the monitor is not started");
    return this.#store;
  }

  /** Opens the store, binds the listener; resolves with the monitor's base URL. */
  async start(): Promise<{ url: string; port: number }> {
    if (this.#status !== "created") throw new BridgeError(ErrorCode.Internal, `the monitor is ${this.#status}`);
    this.#status = "starting";
    const { host, port } = parseHostPort(this.options.listen, "monitor --listen");
    const store = this.#store ?? (await openStore(this.options.db));
    this.#store = store;
    const stream = new ChangeStream(this.options.changeIntervalMs);
    this.#stream = stream;
    const queue = new IngestQueue(store, this.options.maxBatch, (result) => {
      this.#metrics.record(result);
      stream.record(result);
    });
    this.#queue = queue;
    const context = {
      options: this.options,
      store,
      queue,
      stream,
      metrics: this.#metrics,
      logger: this.#logger,
      status: () => this.#status,
    };
    const server = createServer((request, response) => void handle(context, request, response));
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error) =>
        reject(
          new BridgeError(
            ErrorCode.InvalidConfig,
            `the monitor cannot listen on ${this.options.listen}: ${error.message}`,
            { cause: error },
          ),
        ),
      );
      server.listen(port, host, resolve);
    });
    this.#server = server;
    if (Number.isFinite(this.options.retentionMs)) {
      this.#pruner = setInterval(() => void this.prune(), this.options.pruneIntervalMs);
      this.#pruner.unref();
    }
    this.#status = "running";
    const bound = (server.address() as AddressInfo).port;
    const url = `http://${host.includes(":") ? `[${host}]` : host}:${bound}`;
    this.#logger.info({ url, store: store.kind }, "monitor listening");
    return { url, port: bound };
  }

  /**
   * Runs retention now: prunes terminal instances completed before now − retention, in passes of
   * {@link PRUNE_BATCH} (one transaction each, so ingest goes on between them).
   */
  prune(nowMs = Date.now()): Promise<{ instances: number }> {
    const run = async () => {
      try {
        let instances = 0;
        for (;;) {
          const pass = await this.store.prune(nowMs - this.options.retentionMs);
          instances += pass.instances;
          if (pass.instances < PRUNE_BATCH || this.#status !== "running") break;
        }
        if (instances > 0) this.#logger.info({ instances }, "monitor retention pruned terminal instances");
        return { instances };
      } catch (error) {
        this.#logger.error({ err: BridgeError.from(error) }, "monitor retention failed; it runs again next interval");
        return { instances: 0 };
      }
    };
    const result = this.#pruning.then(run);
    this.#pruning = result;
    return result;
  }

  /** Stops accepting, finishes the batches in progress, closes the store. */
  async close(): Promise<void> {
    if (this.#status === "closed" || this.#status === "closing") return;
    this.#status = "closing";
    if (this.#pruner !== undefined) clearInterval(this.#pruner);
    this.#stream?.close();
    const server = this.#server;
    if (server !== undefined) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    }
    await this.#queue?.idle();
    await this.#pruning;
    await this.#store?.close();
    this.#status = "closed";
  }
}
