import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { BridgeStatus } from "../bridge.js";
import type { SourceIdentity } from "../cloudevents/record.js";
import type { EventView } from "../delivery/observer.js";
import type { DeliveryObserver } from "../delivery/observer.js";
import { BridgeError } from "../errors/bridge-error.js";
import { SINK_LIMIT_NAMES, type SinkLimitName } from "../sink/sink-limits.js";
import type { SinkObserver } from "../sink/stream-handler.js";
import type { CommitObserver } from "../spool/group-commit.js";
import type { SpooledEvent } from "../spool/spool.js";
import type { FrameOutcome } from "../sink/to-outbound.js";
import type { Logger } from "./logger.js";

/** The prefix of every series of the bridge (process and Node.js defaults keep their own names). */
export const METRIC_PREFIX = "dapr_event_bridge_";

/** Buckets of `end_to_end_latency_seconds`, seconds: 1 ms to 30 s. */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Options of {@link BridgeMetrics}. */
export interface BridgeMetricsOptions {
  /** Also export prom-client's process and Node.js metrics (CPU, memory, event loop lag, GC). @default true */
  readonly defaultMetrics?: boolean;
  /** Where a failing observer hook is reported (hooks never throw). @default none: failures are ignored */
  readonly logger?: Logger;
  /** Wall clock, ms since the epoch; the end of the end-to-end latency. @default Date.now */
  readonly now?: () => number;
  /** Monotonic clock, ms; measures stalls still in progress. @default performance.now */
  readonly monotonicNow?: () => number;
}

/** What the sidecar probe last found; `unknown` until a probe finished (or when there is none). */
export type SidecarReachability = "reachable" | "unreachable" | "unknown";

/** A counter child bound to one label set. */
interface CounterChild {
  inc(value?: number): void;
}

/**
 * The Prometheus metrics of a bridge (docs/metrics.md lists every series). It owns its
 * registry (never prom-client's global one), so several bridges can live in one process.
 * It is the delivery queue's, the sink's and the group commit's observer (the bridge hands a
 * sink observer that has `committed` to the group commit too); gauges of the spool and the
 * window are read from the bridge's status at scrape time. Hooks never throw and cost a few
 * map look-ups per batch or frame.
 *
 * Wiring:
 * ```ts
 * const metrics = new BridgeMetrics();
 * const bridge = new Bridge(config, { deliveryObserver: metrics, sinkObserver: metrics });
 * metrics.bindStatus(() => bridge.status());
 * await bridge.start();
 * const http = await startObservability(bridge, { metrics, checkSidecar: (signal) => publisher.checkSidecar(signal) });
 * ```
 */
export class BridgeMetrics implements DeliveryObserver, SinkObserver, CommitObserver {
  /** The registry holding every series; render it with `registry.metrics()`. */
  readonly registry: Registry;
  private readonly logger: Logger | undefined;
  private readonly now: () => number;
  private status: (() => BridgeStatus) | undefined;
  private sidecar: SidecarReachability = "unknown";
  private readonly monotonicNow: () => number;
  /** Streams waiting for room now, and when their time was last added to the counter. */
  private stalls = 0;
  private stallsCountedUntil = 0;

  private readonly received: Counter<"type">;
  private readonly accepted: Counter;
  private readonly receivedBytes: Counter;
  private readonly publishedEvents: Counter<"pubsub" | "topic">;
  private readonly publishFailures: Counter<"code">;
  private readonly retries: Counter;
  private readonly deadLetters: Counter<"reason">;
  private readonly parkedCount: Counter;
  private readonly dropped: Counter<"route">;
  private readonly undecodable: Counter;
  private readonly streamErrors: Counter<"code">;
  private readonly sinkRefused: Counter<"limit">;
  private readonly emptyFrames: Counter;
  private readonly activeStreams: Gauge;
  private readonly backpressureSeconds: Counter;
  private readonly latency: Histogram;

  // Label children, made once per label set: a hook then costs a Map look-up, not a label hash.
  private readonly receivedByType = new Map<string, CounterChild>();
  private readonly publishedByTarget = new Map<string, CounterChild>();
  private readonly failuresByCode = new Map<string, CounterChild>();
  private readonly deadLettersByReason = new Map<string, CounterChild>();
  private readonly droppedByRoute = new Map<string, CounterChild>();
  private readonly streamErrorsByCode = new Map<string, CounterChild>();

  constructor(options: BridgeMetricsOptions = {}) {
    this.registry = new Registry();
    this.logger = options.logger;
    this.now = options.now ?? Date.now;
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    const registers = [this.registry];
    const counter = <L extends string = never>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
      new Counter<L>({ name: METRIC_PREFIX + name, help, labelNames, registers });

    this.received = counter(
      "events_received_total",
      "Events read from daprd streams, by CloudEvent type (including io.dapr.bridge.undecodable).",
      ["type"],
    );
    this.accepted = counter(
      "events_accepted_total",
      "Events committed to the spool (routed or undecodable); received = accepted + dropped + refused (commit failed).",
    );
    this.receivedBytes = counter("received_bytes_total", "Bytes of event frames read from daprd streams.");
    this.publishedEvents = counter(
      "events_published_total",
      "Events published successfully, by pubsub component and topic (dead-letter topic included).",
      ["pubsub", "topic"],
    );
    this.publishFailures = counter(
      "publish_failures_total",
      "Events whose publish attempt failed, by BridgeError code.",
      ["code"],
    );
    this.retries = counter(
      "retries_total",
      "Publish retries scheduled after a failed attempt that was not final (retryable errors, and non-retryable ones below maxAttempts).",
    );
    this.deadLetters = counter(
      "dead_lettered_total",
      "Events sent to the dead-letter topic, by reason (max_attempts, max_age).",
      ["reason"],
    );
    this.parkedCount = counter(
      "dead_letter_parked_total",
      "Dead letters whose publish failed too; they stay in the spool (see `dead-letters list`).",
    );
    this.dropped = counter(
      "events_dropped_total",
      "Events dropped on purpose by a route with drop: true, by route name.",
      ["route"],
    );
    this.undecodable = counter(
      "undecodable_total",
      "Frames that could not be decoded; kept as io.dapr.bridge.undecodable and dead-lettered.",
    );
    this.streamErrors = counter(
      "stream_errors_total",
      "Inbound streams that ended with an error, by BridgeError code.",
      ["code"],
    );
    this.sinkRefused = counter(
      "sink_refused_total",
      "Streams and connections the sink refused by a limit: streams (sinkMaxStreams), memory_budget (sinkMemoryBudgetBytes / maxMessageBytes), connections (sinkMaxConnections), empty_frames (sinkMaxEmptyFrames).",
      ["limit"],
    );
    // Every limit's series exists from the start (at 0), so a dashboard sees it before a refusal.
    for (const limit of SINK_LIMIT_NAMES) this.sinkRefused.labels(limit).inc(0);
    this.emptyFrames = counter(
      "empty_frames_total",
      "Frames without any byte read from streams; counted, not kept (an EventRequest always carries an event).",
    );
    const countStalls = (): void => this.countStalls();
    this.backpressureSeconds = new Counter({
      name: METRIC_PREFIX + "backpressure_seconds_total",
      help: "Time the sink waited for room before reading on (all streams summed, stalls in progress included), seconds.",
      registers,
      collect: countStalls,
    });
    this.activeStreams = new Gauge({
      name: METRIC_PREFIX + "active_streams",
      help: "Inbound event streams open now.",
      registers,
    });
    this.latency = new Histogram({
      name: METRIC_PREFIX + "end_to_end_latency_seconds",
      help: "Time from acceptance by the sink to successful publish, seconds (wall clock).",
      buckets: [...LATENCY_BUCKETS_SECONDS],
      registers,
    });
    this.statusGauge(
      "spool_pending_events",
      "Committed events waiting in the spool to be published (in flight included).",
      (s) => s.spool?.pending,
    );
    this.statusGauge("spool_bytes", "Payload bytes held by the spool (pending and dead).", (s) => s.spool?.bytes);
    this.statusGauge(
      "spool_dead_events",
      "Dead letters parked in the spool because their publish failed.",
      (s) => s.spool?.dead,
    );
    this.statusGauge("in_flight_calls", "Publish calls to the sidecar in flight.", (s) => s.delivery?.inFlightCalls);
    this.statusGauge("in_flight_events", "Events in the publish calls in flight.", (s) => s.delivery?.inFlightEvents);
    this.statusGauge(
      "window_events",
      "Events in the in-memory delivery window (ready, in flight or waiting to retry).",
      (s) => s.delivery?.inWindow,
    );
    this.statusGauge(
      "retrying_events",
      "Events in the window waiting for a retry backoff.",
      (s) => s.delivery?.retrying,
    );
    this.statusGauge(
      "backlog_on_disk",
      "1 when committed events wait in the spool beyond the in-memory window, else 0.",
      (s) => (s.delivery === undefined ? undefined : Number(s.delivery.backlogOnDisk)),
    );
    const sidecar = (): SidecarReachability => this.sidecar;
    new Gauge({
      name: METRIC_PREFIX + "sidecar_reachable",
      help: "1 when the last probe of the bridge's Dapr sidecar succeeded, 0 when it failed; absent until probed.",
      registers,
      collect() {
        const state = sidecar();
        if (state === "unknown") this.remove();
        else this.set(state === "reachable" ? 1 : 0);
      },
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Reads the spool and window gauges from `status` at every scrape (usually `() => bridge.status()`). */
  bindStatus(status: () => BridgeStatus): void {
    this.status = status;
  }

  /** Records the result of a sidecar probe (the readiness endpoint calls it). */
  setSidecarReachable(reachable: boolean): void {
    this.sidecar = reachable ? "reachable" : "unreachable";
  }

  /** What the last sidecar probe found. */
  sidecarReachability(): SidecarReachability {
    return this.sidecar;
  }

  /** The exposition text of every series (Prometheus text format 0.0.4). */
  async render(): Promise<{ readonly contentType: string; readonly text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }

  // ---- SinkObserver ----

  streamOpened(_identity: SourceIdentity): void {
    this.guard("streamOpened", () => this.activeStreams.inc());
  }

  streamClosed(_identity: SourceIdentity, error?: BridgeError): void {
    this.guard("streamClosed", () => {
      this.activeStreams.dec();
      if (error !== undefined)
        child(this.streamErrorsByCode, error.code, () => this.streamErrors.labels(error.code)).inc();
    });
  }

  frame(outcome: FrameOutcome, bytes: number): void {
    this.guard("frame", () => {
      this.receivedBytes.inc(bytes);
      const type = outcome.kind === "undecodable" ? outcome.event.type : outcome.record.type;
      child(this.receivedByType, type, () => this.received.labels(type)).inc();
      if (outcome.kind === "dropped") {
        const route = outcome.routeName;
        child(this.droppedByRoute, route, () => this.dropped.labels(route)).inc();
        return;
      }
      if (outcome.kind === "undecodable") this.undecodable.inc();
    });
  }

  /** Counts events once committed to the spool (the commit observer): a batch whose commit failed is not accepted. */
  committed(events: readonly SpooledEvent[]): void {
    this.guard("committed", () => this.accepted.inc(events.length));
  }

  /** A stall began: `backpressure_seconds_total` grows at every scrape until it ends. */
  backpressureStarted(): void {
    this.guard("backpressureStarted", () => {
      this.countStalls();
      this.stalls++;
    });
  }

  backpressure(ms: number): void {
    this.guard("backpressure", () => {
      // A wait announced by backpressureStarted was counted while it lasted: count its rest.
      if (this.stalls > 0) {
        this.countStalls();
        this.stalls--;
      } else if (ms > 0) {
        this.backpressureSeconds.inc(ms / 1000);
      }
    });
  }

  emptyFrame(): void {
    this.guard("emptyFrame", () => this.emptyFrames.inc());
  }

  refused(limit: SinkLimitName): void {
    this.guard("refused", () => this.sinkRefused.labels(limit).inc());
  }

  // ---- DeliveryObserver ----

  published(pubsub: string, topic: string, entries: readonly EventView[], _now: number): void {
    this.guard("published", () => {
      if (entries.length === 0) return;
      // NUL cannot occur in component or topic names, so the key is unambiguous.
      child(this.publishedByTarget, `${pubsub}\u0000${topic}`, () => this.publishedEvents.labels(pubsub, topic)).inc(
        entries.length,
      );
      const wallNow = this.now();
      for (const entry of entries) this.latency.observe(Math.max(0, wallNow - entry.acceptedAt) / 1000);
    });
  }

  publishFailed(errors: readonly BridgeError[]): void {
    this.guard("publishFailed", () => {
      for (const { code } of errors) child(this.failuresByCode, code, () => this.publishFailures.labels(code)).inc();
    });
  }

  retried(_entry: EventView): void {
    this.guard("retried", () => this.retries.inc());
  }

  deadLettered(_entry: EventView, reason: string): void {
    this.guard("deadLettered", () =>
      child(this.deadLettersByReason, reason, () => this.deadLetters.labels(reason)).inc(),
    );
  }

  parked(_entry: EventView): void {
    this.guard("parked", () => this.parkedCount.inc());
  }

  /** Adds the time of the stalls in progress since they were last counted (at scrapes and stall edges). */
  private countStalls(): void {
    const now = this.monotonicNow();
    if (this.stalls > 0 && now > this.stallsCountedUntil) {
      this.backpressureSeconds.inc((this.stalls * (now - this.stallsCountedUntil)) / 1000);
    }
    this.stallsCountedUntil = now;
  }

  private statusGauge(name: string, help: string, read: (status: BridgeStatus) => number | undefined): void {
    const current = (): number | undefined => {
      const status = this.status;
      return status === undefined ? undefined : this.guard(name, () => read(status()));
    };
    new Gauge({
      name: METRIC_PREFIX + name,
      help,
      registers: [this.registry],
      collect() {
        // Unbound, or a closed bridge without spool stats: the gauge keeps its last value.
        const value = current();
        if (value !== undefined) this.set(value);
      },
    });
  }

  private guard<T>(hook: string, body: () => T): T | undefined {
    try {
      return body();
    } catch (error) {
      this.logger?.warn(
        { err: BridgeError.from(error), hook },
        "a metrics hook failed; the event flow is not affected",
      );
      return undefined;
    }
  }
}

function child(cache: Map<string, CounterChild>, key: string, make: () => CounterChild): CounterChild {
  let found = cache.get(key);
  if (found === undefined) {
    found = make();
    cache.set(key, found);
  }
  return found;
}
