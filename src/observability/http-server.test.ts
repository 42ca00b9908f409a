import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import type { BridgeStatus } from "../bridge.js";
import type { BridgeConfig } from "../config/bridge-config.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { startObservability, type ObservabilityServer, type ObservedBridge } from "./http-server.js";
import { BridgeMetrics } from "./metrics.js";
import { parsePrometheusText } from "./prometheus-text.js";

interface Response {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** One request with node:http (no connection reuse, so nothing outlives the test). */
function get(address: string, path: string, method = "GET"): Promise<Response> {
  const url = new URL(path, `http://${address}`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          contentType: res.headers["content-type"],
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** A stand-in for what the listener reads of a Bridge, with a status the test changes. */
class StandInBridge implements ObservedBridge {
  readonly config: BridgeConfig;
  current: BridgeStatus = { state: "created", activeStreams: 0 };

  constructor(metricsListen = "127.0.0.1:0") {
    this.config = { metricsListen } as BridgeConfig;
  }

  status(): BridgeStatus {
    return this.current;
  }
}

const RUNNING: BridgeStatus = {
  state: "running",
  sinkAddress: "127.0.0.1:50051",
  activeStreams: 1,
  spool: { pending: 7, dead: 0, bytes: 700 },
  delivery: { inWindow: 7, inFlightCalls: 1, inFlightEvents: 0, retrying: 0, backlogOnDisk: false },
};

const opened: ObservabilityServer[] = [];
async function start(...args: Parameters<typeof startObservability>): Promise<ObservabilityServer> {
  const server = await startObservability(...args);
  if (server === undefined) throw new Error("the listener did not start");
  opened.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((server) => server.close()));
});

describe("startObservability", () => {
  it("is disabled by an empty metricsListen", async () => {
    await expect(startObservability(new StandInBridge(""))).resolves.toBeUndefined();
  });

  it("listens on loopback and answers /healthz", async () => {
    const server = await start(new StandInBridge());
    expect(server.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const health = await get(server.address, "/healthz");
    expect(health.status).toBe(200);
    expect(health.contentType).toMatch(/^application\/json/);
    expect(JSON.parse(health.body)).toEqual({ status: "alive" });
  });

  it("answers /readyz 503 with reasons until the bridge runs, then 200", async () => {
    const bridge = new StandInBridge();
    const server = await start(bridge);

    const before = await get(server.address, "/readyz");
    expect(before.status).toBe(503);
    expect(JSON.parse(before.body)).toMatchObject({
      status: "not_ready",
      state: "created",
      reasons: ["the bridge is created", "the sink is not listening", "the spool is not open"],
      sidecar: "unknown",
    });

    bridge.current = RUNNING;
    const running = await get(server.address, "/readyz");
    expect(running.status).toBe(200);
    expect(JSON.parse(running.body)).toEqual({
      status: "ready",
      state: "running",
      reasons: [],
      sidecar: "unknown",
      sink: "127.0.0.1:50051",
      spool: { pending: 7, dead: 0, bytes: 700 },
    });

    bridge.current = { ...RUNNING, state: "draining" };
    const draining = await get(server.address, "/readyz");
    expect(draining.status).toBe(503);
    expect(JSON.parse(draining.body)).toMatchObject({ reasons: ["the bridge is draining"] });
  });

  it("reports the sidecar from a cached probe, never as a reason for 503", async () => {
    const bridge = new StandInBridge();
    bridge.current = RUNNING;
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    let reachable = true;
    let probes = 0;
    const checkSidecar = (): Promise<boolean> => {
      probes++;
      return Promise.resolve(reachable);
    };
    const cached = await start(bridge, { metrics, checkSidecar, sidecarProbeIntervalMs: 60_000 });
    expect(JSON.parse((await get(cached.address, "/readyz")).body)).toMatchObject({ sidecar: "reachable" });
    reachable = false;
    const again = await get(cached.address, "/readyz");
    expect(again.status).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ sidecar: "reachable" });
    expect(probes).toBe(1);

    const fresh = await start(bridge, { metrics, checkSidecar, sidecarProbeIntervalMs: 0 });
    const down = await get(fresh.address, "/readyz");
    expect(down.status).toBe(200);
    expect(JSON.parse(down.body)).toMatchObject({ status: "ready", sidecar: "unreachable" });
    expect(
      parsePrometheusText((await get(fresh.address, "/metrics")).body).get("dapr_event_bridge_sidecar_reachable"),
    ).toBe(0);
  });

  it("counts a probe that hangs past its timeout or rejects as unreachable", async () => {
    const bridge = new StandInBridge();
    bridge.current = RUNNING;
    const hangs = await start(bridge, {
      checkSidecar: () => new Promise<boolean>(() => undefined),
      sidecarProbeTimeoutMs: 20,
    });
    expect(JSON.parse((await get(hangs.address, "/readyz")).body)).toMatchObject({ sidecar: "unreachable" });
    const rejects = await start(bridge, { checkSidecar: () => Promise.reject(new Error("connection refused")) });
    expect(JSON.parse((await get(rejects.address, "/readyz")).body)).toMatchObject({ sidecar: "unreachable" });
  });

  it("serves /metrics as Prometheus text that parses", async () => {
    const bridge = new StandInBridge();
    bridge.current = RUNNING;
    const metrics = new BridgeMetrics();
    metrics.bindStatus(() => bridge.status());
    metrics.retried({} as Parameters<BridgeMetrics["retried"]>[0]);
    const server = await start(bridge, { metrics });
    const response = await get(server.address, "/metrics");
    expect(response.status).toBe(200);
    expect(response.contentType).toBe("text/plain; version=0.0.4; charset=utf-8");
    const samples = parsePrometheusText(response.body);
    expect(samples.get("dapr_event_bridge_retries_total")).toBe(1);
    expect(samples.get("dapr_event_bridge_spool_pending_events")).toBe(7);
    expect(samples.has("process_resident_memory_bytes") || samples.has("process_cpu_user_seconds_total")).toBe(true);

    const head = await get(server.address, "/metrics", "HEAD");
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
  });

  it("answers 404 for unknown paths, for /metrics without metrics, and 405 for other methods", async () => {
    const server = await start(new StandInBridge());
    expect((await get(server.address, "/nope")).status).toBe(404);
    expect((await get(server.address, "/metrics")).status).toBe(404);
    expect((await get(server.address, "/healthz", "POST")).status).toBe(405);
    expect((await get(server.address, "/healthz?verbose=1")).status).toBe(200);
  });

  it("answers 500 and keeps serving when the status function throws", async () => {
    const bridge = new StandInBridge();
    bridge.status = () => {
      throw new Error("status exploded");
    };
    const server = await start(bridge);
    expect((await get(server.address, "/readyz")).status).toBe(500);
    expect((await get(server.address, "/healthz")).status).toBe(200);
  });

  it("rejects a malformed or unusable address with invalid_config naming the option", async () => {
    const malformed = startObservability(new StandInBridge("not-an-address"));
    await expect(malformed).rejects.toThrow(BridgeError);
    await expect(malformed).rejects.toMatchObject({
      code: ErrorCode.InvalidConfig,
      message: expect.stringMatching(/metricsListen \(--metrics-listen\)/) as unknown,
    });

    const first = await start(new StandInBridge());
    const taken = startObservability(new StandInBridge(first.address));
    await expect(taken).rejects.toMatchObject({
      code: ErrorCode.InvalidConfig,
      message: expect.stringMatching(/metricsListen/) as unknown,
    });
  });

  it("closes idempotently and stops listening", async () => {
    const server = await start(new StandInBridge());
    await server.close();
    await server.close();
    await expect(get(server.address, "/healthz")).rejects.toThrow();
  });
});
