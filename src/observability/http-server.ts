import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Bridge, BridgeStatus } from "../bridge.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { parseHostPort } from "../config/host-port.js";
import { capConnections, resolveHttpLimits, serverOptionsOf, type HttpLimitsOptions } from "./http-limits.js";
import type { Logger } from "./logger.js";
import type { BridgeMetrics, SidecarReachability } from "./metrics.js";
import { SidecarProbe } from "./sidecar-probe.js";

/** What the listener needs of a bridge: a real {@link Bridge} satisfies it. */
export type ObservedBridge = Pick<Bridge, "status" | "config"> & { readonly logger?: Logger };

/** Options of {@link startObservability}; the limits protect the process's file descriptors. */
export interface ObservabilityOptions extends HttpLimitsOptions {
  /** HOST:PORT to listen on; port 0 picks a free port; "" disables the listener. @default bridge.config.metricsListen */
  readonly listen?: string;
  /** The series served on `/metrics`; without it `/metrics` answers 404 (saying why). @default none */
  readonly metrics?: BridgeMetrics;
  /**
   * Probes the bridge's Dapr sidecar (e.g. `(signal) => publisher.checkSidecar(signal)`). It runs
   * at start and then at most every `sidecarProbeIntervalMs`, in the background of `/readyz` and
   * `/metrics`, which answer with the last result (`sidecar`, `sidecar_reachable`).
   * @default none: the sidecar is reported "unknown"
   */
  readonly checkSidecar?: (signal: AbortSignal) => Promise<boolean>;
  /** Least time between two sidecar probes, ms. @default 5000 */
  readonly sidecarProbeIntervalMs?: number;
  /** Time a sidecar probe may take, ms. @default 1000 */
  readonly sidecarProbeTimeoutMs?: number;
}

/** A running metrics and health listener. */
export interface ObservabilityServer {
  /** The bound HOST:PORT (IPv6 in brackets). */
  readonly address: string;
  /** Stops listening and closes open connections. Idempotent. */
  close(): Promise<void>;
}

/** The body of `/readyz`. */
export interface Readiness {
  readonly status: "ready" | "not_ready";
  readonly state: BridgeStatus["state"];
  /** Why the bridge is not ready; empty when ready. */
  readonly reasons: readonly string[];
  /** Reported, never a reason for 503: the spool absorbs sidecar outages. */
  readonly sidecar: SidecarReachability;
  readonly sink?: string;
  readonly spool?: { readonly pending: number; readonly dead: number; readonly bytes: number };
}

const LISTEN_OPTION = "metricsListen (--metrics-listen)";
const JSON_TYPE = "application/json; charset=utf-8";

/**
 * Starts the metrics and health HTTP listener on `bridge.config.metricsListen` (loopback by
 * default), or returns undefined when it is "". Routes (GET or HEAD):
 * - `/metrics`: Prometheus text of `options.metrics`;
 * - `/healthz`: 200 `{"status":"alive"}` while the process serves;
 * - `/readyz`: 200 when the bridge is running, its sink listening and its spool open, else
 *   503; the JSON body ({@link Readiness}) names the reasons and the sidecar's reachability;
 * - anything else: 404; a request target that is not a path (`//[`): 400.
 *
 * Limits ({@link HttpLimitsOptions}): headers within 5 s, the request within 10 s, idle
 * keep-alive 5 s, at most 64 connections (more are closed at once, with a rate-limited warning).
 *
 * Wiring (the metrics observe the bridge, then the listener serves them):
 * ```ts
 * const metrics = new BridgeMetrics();
 * const bridge = new Bridge(config, { deliveryObserver: metrics, sinkObserver: metrics });
 * metrics.bindStatus(() => bridge.status());
 * await bridge.start();
 * const http = await startObservability(bridge, { metrics, checkSidecar: (signal) => publisher.checkSidecar(signal) });
 * // ... on shutdown: await http?.close();
 * ```
 * @throws BridgeError `invalid_config` naming `metricsListen` when the address is malformed or cannot be bound,
 *   or naming the limit that is below 1.
 */
export async function startObservability(
  bridge: ObservedBridge,
  options: ObservabilityOptions = {},
): Promise<ObservabilityServer | undefined> {
  const listen = options.listen ?? bridge.config.metricsListen;
  if (listen === "") return undefined;
  const { host, port } = parseHostPort(listen, LISTEN_OPTION);
  const limits = resolveHttpLimits(options);
  const metrics = options.metrics;
  const check = options.checkSidecar;
  const probe =
    check === undefined
      ? undefined
      : new SidecarProbe({
          check,
          ...(options.sidecarProbeIntervalMs === undefined ? {} : { intervalMs: options.sidecarProbeIntervalMs }),
          ...(options.sidecarProbeTimeoutMs === undefined ? {} : { timeoutMs: options.sidecarProbeTimeoutMs }),
          ...(metrics === undefined
            ? {}
            : { onResult: (reachable: boolean) => metrics.setSidecarReachable(reachable) }),
        });
  const routes: Readonly<Record<string, () => Promise<Reply>>> = {
    "/healthz": () => Promise.resolve(json(200, { status: "alive" })),
    "/readyz": async () => {
      const sidecar = probe === undefined ? "unknown" : await probe.current();
      const readiness = readinessOf(bridge.status(), sidecar);
      return json(readiness.status === "ready" ? 200 : 503, readiness);
    },
    "/metrics": async () => {
      if (metrics === undefined)
        return text(404, "metrics are not enabled: pass a BridgeMetrics to startObservability\n");
      await probe?.current();
      const { contentType, text: body } = await metrics.render();
      return { status: 200, contentType, body };
    },
  };
  const server = createServer(serverOptionsOf(limits), (request, response) => {
    void serve(routes, request, response).catch((error: unknown) => {
      const reason = BridgeError.from(error);
      // The message is enough: a request the bridge failed to answer is no place for a stack trace.
      bridge.logger?.error(
        { code: reason.code, error: reason.message, path: request.url },
        "observability request failed",
      );
      if (!response.headersSent) send(response, request, json(500, { status: "error", error: reason.message }));
      else response.destroy();
    });
  });
  capConnections(server, limits, bridge.logger);
  await listenOn(server, host, port, listen);
  // The first probe starts now, so the first /readyz rarely has to wait for it.
  void probe?.current();
  server.on("error", (error) =>
    bridge.logger?.error({ err: BridgeError.from(error) }, "the observability listener failed"),
  );
  const address = formatAddress(server.address() as AddressInfo);
  let closing: Promise<void> | undefined;
  return {
    address,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        probe?.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** Decides readiness from a status: running, sink listening, spool open. */
export function readinessOf(status: BridgeStatus, sidecar: SidecarReachability): Readiness {
  const reasons: string[] = [];
  if (status.state !== "running") reasons.push(`the bridge is ${status.state}`);
  if (status.sinkAddress === undefined) reasons.push("the sink is not listening");
  if (status.spool === undefined) reasons.push("the spool is not open");
  if (status.spoolFailing === true)
    reasons.push("the spool cannot commit events (disk full or unwritable; see the error log)");
  return {
    status: reasons.length === 0 ? "ready" : "not_ready",
    state: status.state,
    reasons,
    sidecar,
    ...(status.sinkAddress === undefined ? {} : { sink: status.sinkAddress }),
    ...(status.spool === undefined
      ? {}
      : { spool: { pending: status.spool.pending, dead: status.spool.dead, bytes: status.spool.bytes } }),
  };
}

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

async function serve(
  routes: Readonly<Record<string, () => Promise<Reply>>>,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = pathOf(request.url ?? "/");
  if (path === undefined) {
    send(response, request, text(400, "the request target is not a path; try /metrics, /healthz or /readyz\n"));
    return;
  }
  const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
  if (route === undefined) {
    send(response, request, text(404, `no such path ${JSON.stringify(path)}; try /metrics, /healthz or /readyz\n`));
    return;
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    send(response, request, {
      ...text(405, `${String(request.method)} is not allowed; use GET\n`),
      headers: { allow: "GET, HEAD" },
    });
    return;
  }
  send(response, request, await route());
}

/** The path of a request target, or undefined when it is not one (`//[` is no URL). */
function pathOf(target: string): string | undefined {
  try {
    return new URL(target, "http://localhost").pathname;
  } catch {
    return undefined;
  }
}

function send(response: ServerResponse, request: IncomingMessage, reply: Reply): void {
  response.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": Buffer.byteLength(reply.body),
    "cache-control": "no-store",
    ...reply.headers,
  });
  response.end(request.method === "HEAD" ? undefined : reply.body);
}

function json(status: number, body: unknown): Reply {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(body) + "\n" };
}

function text(status: number, body: string): Reply {
  return { status, contentType: "text/plain; charset=utf-8", body };
}

async function listenOn(server: Server, host: string, port: number, listen: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(
        new BridgeError(
          ErrorCode.InvalidConfig,
          `${LISTEN_OPTION}: cannot listen on ${JSON.stringify(listen)} (${BridgeError.from(error).message}); ` +
            `choose a free local address, or "" to disable the listener`,
          { cause: error },
        ),
      );
    };
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      resolve();
    });
  });
}

function formatAddress(address: AddressInfo): string {
  return address.family === "IPv6" ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
