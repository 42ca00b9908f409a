import type { BridgeConfig } from "./config/bridge-config.js";
import { DeliveryQueue, type DeliveryStatus } from "./delivery/delivery-queue.js";
import type { DeliveryObserver } from "./delivery/observer.js";
import { BridgeError, ErrorCode } from "./errors/bridge-error.js";
import { createLogger, type Logger } from "./observability/logger.js";
import { DaprPublisher } from "./publish/dapr-publisher.js";
import type { Publisher } from "./publish/publisher.js";
import { Router } from "./routing/router.js";
import { SinkServer } from "./sink/sink-server.js";
import { checkPlaintextExposure } from "./sink/listen-address.js";
import { createStreamHandler, type SinkObserver } from "./sink/stream-handler.js";
import { createSinkTls, type SinkTls } from "./sink/tls.js";
import { OutboundFactory } from "./sink/to-outbound.js";
import { type CommitObserver, GroupCommit } from "./spool/group-commit.js";
import { MemorySpool } from "./spool/memory-spool.js";
import type { Spool, SpoolStats } from "./spool/spool.js";
import { SqliteSpool } from "./spool/sqlite-spool.js";

/** How long published events may wait in a disk spool for a range delete, ms. */
const DISK_REMOVAL_HOLD_MS = 5_000;

/** Where a bridge is in its life. */
export type BridgeState = "created" | "starting" | "running" | "draining" | "closed";

/** What health checks and metrics read. */
export interface BridgeStatus {
  readonly state: BridgeState;
  /** The sink's bound HOST:PORT once running. */
  readonly sinkAddress?: string;
  readonly activeStreams: number;
  readonly spool?: SpoolStats;
  /** Present (true) while the spool cannot commit events (a full disk): readiness fails. */
  readonly spoolFailing?: true;
  readonly delivery?: DeliveryStatus;
}

/** Options of a {@link Bridge} beyond its configuration. */
export interface BridgeOptions {
  readonly logger?: Logger;
  /** Replaces the Dapr publisher (embedding, tests). @default a DaprPublisher on `daprGrpcEndpoint` */
  readonly publisher?: Publisher;
  readonly deliveryObserver?: DeliveryObserver;
  readonly sinkObserver?: SinkObserver;
  /**
   * Told of every batch committed to the spool. @default the `sinkObserver` when it also
   * implements CommitObserver (BridgeMetrics does: `events_accepted_total` counts commits)
   */
  readonly commitObserver?: CommitObserver;
}

function isCommitObserver(value: unknown): value is CommitObserver {
  return (
    typeof value === "object" && value !== null && typeof (value as Partial<CommitObserver>).committed === "function"
  );
}

/**
 * The bridge: sink → CloudEvent → route → spool → delivery queue → Dapr publish.
 * Lifecycle: {@link start}, then {@link drain} (graceful) and/or {@link close}.
 */
export class Bridge {
  readonly config: BridgeConfig;
  readonly logger: Logger;
  private readonly options: BridgeOptions;
  private readonly shutdown = new AbortController();
  private state: BridgeState = "created";
  private spool: Spool | undefined;
  private publisher: Publisher | undefined;
  private delivery: DeliveryQueue | undefined;
  private commit: GroupCommit | undefined;
  private sink: SinkServer | undefined;
  private tls: SinkTls | undefined;
  private activeStreams = 0;

  constructor(config: BridgeConfig, options: BridgeOptions = {}) {
    this.config = config;
    this.options = options;
    this.logger = options.logger ?? createLogger({ level: config.logLevel });
  }

  /** Opens the spool, starts delivering its backlog, and starts the sink. Resolves with the sink's address. */
  async start(): Promise<string> {
    if (this.state !== "created")
      throw new BridgeError(ErrorCode.Internal, `start() called on a bridge that is ${this.state}`);
    this.state = "starting";
    const config = this.config;
    try {
      if (checkPlaintextExposure(config.listen, config.tls !== undefined, config.allowPlaintextPublic)) {
        this.logger.warn(
          { listen: config.listen },
          "the sink listens in plaintext on a non-loopback address (allowPlaintextPublic): any client that reaches it can send events",
        );
      }
      // Bad certificate files fail the start before the spool is opened.
      const tls = config.tls === undefined ? undefined : createSinkTls(config.tls, this.logger);
      this.tls = tls;
      const spool =
        config.durability === "disk"
          ? new SqliteSpool({
              dir: config.spoolDir,
              maxEvents: config.spoolMaxEvents,
              maxBytes: config.spoolMaxBytes,
              resetEmpty: config.spoolResetEmpty ?? false,
              allowSymlink: config.spoolAllowSymlink ?? false,
            })
          : new MemorySpool({ maxEvents: config.maxInMemoryEvents, maxBytes: config.spoolMaxBytes });
      this.spool = spool;
      const publisher =
        this.options.publisher ??
        new DaprPublisher({
          endpoint: config.daprGrpcEndpoint,
          timeoutMs: config.publishTimeoutMs,
          ...(config.daprApiToken === undefined ? {} : { apiToken: config.daprApiToken }),
        });
      this.publisher = publisher;
      const delivery = new DeliveryQueue({
        spool,
        publisher,
        retry: config.retry,
        batch: config.batch,
        maxInMemoryEvents: config.maxInMemoryEvents,
        // A disk spool deletes published rows by range once the watermark passes them (see DeliveryQueue).
        removalHoldMs: config.durability === "disk" ? DISK_REMOVAL_HOLD_MS : 0,
        ordering: config.ordering,
        deadLetterPubsub: config.deadLetterPubsub,
        deadLetterTopic: config.deadLetterTopic,
        logger: this.logger,
        ...(this.options.deliveryObserver === undefined ? {} : { observer: this.options.deliveryObserver }),
      });
      this.delivery = delivery;
      const sinkObserverCommits = isCommitObserver(this.options.sinkObserver) ? this.options.sinkObserver : undefined;
      const commitObserver = this.options.commitObserver ?? sinkObserverCommits;
      const commit = new GroupCommit({
        spool,
        onCommitted: (events) => delivery.accept(events),
        logger: this.logger,
        ...(commitObserver === undefined ? {} : { observer: commitObserver }),
      });
      this.commit = commit;
      const router = new Router(config);
      const factory = new OutboundFactory({
        route: (record) => router.route(record),
        deadLetterPubsub: config.deadLetterPubsub,
        deadLetterTopic: config.deadLetterTopic,
      });
      const sinkObserver = this.countingObserver();
      const handler = createStreamHandler({
        factory,
        commit,
        hasRoom: () => delivery.hasRoom(),
        waitForRoom: (signal) => delivery.waitForRoom(signal),
        fallbackIdentity: { appId: config.appId, namespace: config.namespace },
        maxEmptyFrames: config.sinkMaxEmptyFrames,
        shutdown: this.shutdown.signal,
        logger: this.logger,
        observer: sinkObserver,
        ...(tls === undefined ? {} : { certificateIdentity: (call) => tls.certificateIdentity(call) }),
      });
      delivery.start();
      this.sink = new SinkServer({
        listen: config.listen,
        maxMessageBytes: config.maxMessageBytes,
        handler,
        logger: this.logger,
        limits: {
          maxStreams: config.sinkMaxStreams,
          maxStreamsPerConnection: config.sinkMaxStreamsPerConnection,
          maxConnections: config.sinkMaxConnections,
          memoryBudgetBytes: config.sinkMemoryBudgetBytes,
          idleTimeoutMs: config.sinkIdleTimeoutMs,
          keepaliveTimeMs: config.sinkKeepaliveTimeMs,
          keepaliveTimeoutMs: config.sinkKeepaliveTimeoutMs,
        },
        onRefused: (limit) => sinkObserver.refused?.(limit),
        ...(tls === undefined ? {} : { credentials: tls.credentials }),
      });
      const address = await this.sink.start();
      this.state = "running";
      return address;
    } catch (error) {
      await this.close();
      throw BridgeError.from(error, "the bridge could not start");
    }
  }

  /**
   * Whether the bridge's sidecar answers (`GetMetadata`), for readiness reporting. False
   * before start, after close, and when the publisher was replaced by one that cannot tell.
   */
  async checkSidecar(signal?: AbortSignal): Promise<boolean> {
    const publisher = this.publisher;
    if (!(publisher instanceof DaprPublisher) || this.state === "closed") return false;
    return publisher.checkSidecar(signal);
  }

  /** Current state and counts. */
  status(): BridgeStatus {
    return {
      state: this.state,
      activeStreams: this.activeStreams,
      ...(this.sink?.address === undefined ? {} : { sinkAddress: this.sink.address }),
      ...(this.spool === undefined || this.state === "closed" ? {} : { spool: this.spool.stats() }),
      ...(this.commit?.failure() === undefined ? {} : { spoolFailing: true }),
      ...(this.delivery === undefined ? {} : { delivery: this.delivery.status() }),
    };
  }

  /**
   * Graceful shutdown: stop taking streams (open ones end with UNAVAILABLE after what they
   * sent so far is committed), then publish what is accepted for at most `timeoutMs`.
   * Returns whether everything was published; what is left stays in the spool.
   */
  async drain(timeoutMs: number = this.config.drainTimeoutMs): Promise<boolean> {
    if (this.state !== "running") return false;
    this.state = "draining";
    this.shutdown.abort(new BridgeError(ErrorCode.Unavailable, "the bridge is shutting down"));
    await this.sink?.stop(Math.min(timeoutMs, 2000));
    this.commit?.flush();
    const drained = (await this.delivery?.drain(timeoutMs)) ?? true;
    this.logger.info(
      { drained, spool: this.spool?.stats() },
      drained ? "drained" : "drain timed out; the rest stays in the spool",
    );
    return drained;
  }

  /** Stops everything at once; committed events stay in the spool. */
  async close(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "closed";
    this.shutdown.abort(new BridgeError(ErrorCode.Unavailable, "the bridge is closing"));
    this.sink?.forceStop();
    this.tls?.close();
    this.commit?.flush();
    this.commit?.close();
    await this.delivery?.close();
    this.publisher?.close();
    try {
      this.spool?.close();
    } catch (error) {
      this.logger.error({ err: BridgeError.from(error) }, "closing the spool failed");
    }
  }

  private countingObserver(): SinkObserver {
    const inner = this.options.sinkObserver;
    return {
      streamOpened: (identity) => {
        this.activeStreams++;
        inner?.streamOpened(identity);
      },
      streamClosed: (identity, error) => {
        this.activeStreams--;
        inner?.streamClosed(identity, error);
      },
      frame: (outcome, bytes) => inner?.frame(outcome, bytes),
      backpressure: (ms) => inner?.backpressure(ms),
      backpressureStarted: () => inner?.backpressureStarted?.(),
      emptyFrame: () => inner?.emptyFrame?.(),
      refused: (limit) => inner?.refused?.(limit),
    };
  }
}
