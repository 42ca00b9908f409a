import type * as grpc from "@grpc/grpc-js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** The limits of the sink against hostile or broken clients (docs/security.md, "Sink limits"). */
export interface SinkLimitsOptions {
  /** Event streams open at once, all connections together. @default 1024 */
  readonly maxStreams?: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of each connection. @default 8 */
  readonly maxStreamsPerConnection?: number;
  /** TCP connections at once; more are closed on accept. @default 4096 */
  readonly maxConnections?: number;
  /**
   * Bytes the sink may hold in partly received messages. grpc-js buffers a message until its
   * last byte arrives, so each open stream may hold up to `maxMessageBytes`: streams open at
   * once are also bounded by `floor(memoryBudgetBytes / maxMessageBytes)`.
   * @default 268435456 (256 MiB)
   */
  readonly memoryBudgetBytes?: number;
  /** A connection without an open stream this long is closed, ms. @default 15000 */
  readonly idleTimeoutMs?: number;
  /** Interval of the keepalive PINGs the sink sends, ms. @default 30000 */
  readonly keepaliveTimeMs?: number;
  /** A PING unanswered this long closes its connection, ms. @default 10000 */
  readonly keepaliveTimeoutMs?: number;
}

/** The limits that refuse a stream or a connection: the values of the `limit` label of `sink_refused_total`. */
export const SINK_LIMIT_NAMES = ["streams", "memory_budget", "connections", "empty_frames"] as const;

/** The limit that refused a stream or a connection. */
export type SinkLimitName = (typeof SINK_LIMIT_NAMES)[number];

/** {@link SinkLimitsOptions} with every default filled in, and the stream limit they imply. */
export interface SinkLimits extends Required<SinkLimitsOptions> {
  /** Streams open at once: the lower of `maxStreams` and the memory budget's bound. */
  readonly streamLimit: number;
  /** Which of the two sets {@link streamLimit}. */
  readonly streamLimitBy: "streams" | "memory_budget";
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `sink limits: ${name}: expected an integer >= 1, got ${String(value)}`,
    );
  }
  return value;
}

/** Fills in the defaults of `options` and derives the stream limit from the memory budget. */
export function resolveSinkLimits(options: SinkLimitsOptions, maxMessageBytes: number): SinkLimits {
  const maxStreams = positive("maxStreams", options.maxStreams ?? 1024);
  const memoryBudgetBytes = positive("memoryBudgetBytes", options.memoryBudgetBytes ?? 268_435_456);
  const byBudget = Math.max(1, Math.floor(memoryBudgetBytes / positive("maxMessageBytes", maxMessageBytes)));
  return {
    maxStreams,
    maxStreamsPerConnection: positive("maxStreamsPerConnection", options.maxStreamsPerConnection ?? 8),
    maxConnections: positive("maxConnections", options.maxConnections ?? 4096),
    memoryBudgetBytes,
    idleTimeoutMs: positive("idleTimeoutMs", options.idleTimeoutMs ?? 15_000),
    keepaliveTimeMs: positive("keepaliveTimeMs", options.keepaliveTimeMs ?? 30_000),
    keepaliveTimeoutMs: positive("keepaliveTimeoutMs", options.keepaliveTimeoutMs ?? 10_000),
    streamLimit: Math.min(maxStreams, byBudget),
    streamLimitBy: byBudget < maxStreams ? "memory_budget" : "streams",
  };
}

/**
 * The grpc-js server options of the limits. No maximum connection age: daprd keeps one stream
 * open for hours, and a quiet stream lives as long as its connection answers PINGs.
 */
export function grpcServerOptions(limits: SinkLimits, maxMessageBytes: number): grpc.ServerOptions {
  return {
    "grpc.max_receive_message_length": maxMessageBytes,
    "grpc.max_send_message_length": 1024,
    "grpc.max_concurrent_streams": limits.maxStreamsPerConnection,
    "grpc.max_connection_idle_ms": limits.idleTimeoutMs,
    "grpc.keepalive_time_ms": limits.keepaliveTimeMs,
    "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs,
  };
}

/** The error a stream refused by the stream limit ends with: the limit, its value, the setting that raises it. */
export function streamLimitError(limits: SinkLimits, maxMessageBytes: number): BridgeError {
  const message =
    limits.streamLimitBy === "streams"
      ? `the sink has ${limits.streamLimit} event streams open, its limit (sinkMaxStreams, --sink-max-streams); ` +
        "retry later or raise the limit"
      : `the sink has ${limits.streamLimit} event streams open, its limit: sinkMemoryBudgetBytes ` +
        `${limits.memoryBudgetBytes} / maxMessageBytes ${maxMessageBytes} ` +
        "(raise --sink-memory-budget or lower --max-message-bytes); retry later";
  return new BridgeError(ErrorCode.ResourceExhausted, message);
}

/** Counts open streams against a limit. Not thread-shared: one per sink server. */
export class StreamGate {
  private open = 0;
  constructor(private readonly limit: number) {}

  /** Takes a slot; returns its release function (idempotent), or undefined when the limit is reached. */
  tryAcquire(): (() => void) | undefined {
    if (this.open >= this.limit) return undefined;
    this.open++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.open--;
    };
  }

  /** Streams holding a slot now. */
  get size(): number {
    return this.open;
  }
}
