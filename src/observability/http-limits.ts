import type { Server, ServerOptions } from "node:http";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Logger } from "./logger.js";

/**
 * Limits of the metrics and health listener. A scraper and a kubelet need a handful of short
 * requests; everything else is a client that holds a connection (and a file descriptor the
 * sink needs) without finishing its request, so every limit is small.
 */
export interface HttpLimitsOptions {
  /** Time a client has to send the request headers, ms (`server.headersTimeout`). @default 5000 */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send the whole request, ms (`server.requestTimeout`). @default 10000 */
  readonly requestTimeoutMs?: number;
  /** Time an idle kept-alive connection stays open, ms (`server.keepAliveTimeout`). @default 5000 */
  readonly keepAliveTimeoutMs?: number;
  /**
   * Connections open at once (`server.maxConnections`); the listener closes any beyond it at once
   * and logs so, at most every `dropLogIntervalMs`.
   * @default 64
   */
  readonly maxConnections?: number;
  /** Least time between two log lines about refused connections, ms. @default 10000 */
  readonly dropLogIntervalMs?: number;
}

/** The defaults of {@link HttpLimitsOptions}, resolved in one place. */
export const HTTP_LIMIT_DEFAULTS: Readonly<Required<HttpLimitsOptions>> = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 64,
  dropLogIntervalMs: 10_000,
};

function positive(name: keyof HttpLimitsOptions, value: number | undefined): number {
  const resolved = value ?? HTTP_LIMIT_DEFAULTS[name];
  if (!Number.isInteger(resolved) || resolved < 1) {
    throw new BridgeError(ErrorCode.InvalidConfig, `${name}: expected an integer of at least 1, got ${String(value)}`);
  }
  return resolved;
}

/** Resolves and checks the limits. @throws BridgeError `invalid_config` naming the option on a value below 1. */
export function resolveHttpLimits(options: HttpLimitsOptions): Readonly<Required<HttpLimitsOptions>> {
  const headersTimeoutMs = positive("headersTimeoutMs", options.headersTimeoutMs);
  const requestTimeoutMs = positive("requestTimeoutMs", options.requestTimeoutMs);
  if (requestTimeoutMs < headersTimeoutMs) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `requestTimeoutMs: expected at least headersTimeoutMs (${headersTimeoutMs}), got ${requestTimeoutMs}`,
    );
  }
  return {
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: positive("keepAliveTimeoutMs", options.keepAliveTimeoutMs),
    maxConnections: positive("maxConnections", options.maxConnections),
    dropLogIntervalMs: positive("dropLogIntervalMs", options.dropLogIntervalMs),
  };
}

/** The `http.createServer` options that enforce the timeouts. */
export function serverOptionsOf(limits: Readonly<Required<HttpLimitsOptions>>): ServerOptions {
  return {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts only this often (30 s by default): check at least every second.
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
}

/**
 * Caps the connections of `server` and logs refused ones: one warning at most every
 * `dropLogIntervalMs`, with the count refused since the last line.
 */
export function capConnections(
  server: Server,
  limits: Readonly<Required<HttpLimitsOptions>>,
  logger: Logger | undefined,
  now: () => number = () => performance.now(),
): void {
  server.maxConnections = limits.maxConnections;
  let refused = 0;
  let lastLog = -Infinity;
  server.on("drop", () => {
    refused++;
    const at = now();
    if (at - lastLog < limits.dropLogIntervalMs) return;
    lastLog = at;
    logger?.warn(
      { refused, maxConnections: limits.maxConnections },
      "the metrics and health listener is at its connection cap and refuses new connections; " +
        "a client opens connections without finishing requests (check who connects to the metrics port)",
    );
    refused = 0;
  });
}
