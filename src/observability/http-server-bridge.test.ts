import { request } from "node:http";
import { describe, expect, it } from "vitest";
import { Bridge } from "../bridge.js";
import type { BridgeConfig } from "../config/bridge-config.js";
import { DevSidecar } from "../devtools/dev-sidecar.js";
import { DaprPublisher } from "../publish/dapr-publisher.js";
import { startObservability } from "./http-server.js";
import { silentLogger } from "./logger.js";
import { BridgeMetrics } from "./metrics.js";
import { parsePrometheusText } from "./prometheus-text.js";
import { testConfig } from "../../test/helpers/config.js";

function get(address: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, `http://${address}`), { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

/** Polls `condition` (yielding to the event loop between tries) until it gives a value, at most `timeoutMs`. */
async function waitFor<T>(condition: () => Promise<T | undefined>, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function config(daprGrpcEndpoint: string): BridgeConfig {
  return testConfig({
    daprGrpcEndpoint,
    spoolMaxEvents: 1000,
    spoolMaxBytes: 1024 * 1024,
    maxInMemoryEvents: 100,
    metricsListen: "127.0.0.1:0",
  });
}

describe("startObservability with a real Bridge", () => {
  it("is ready while the bridge runs, reports the sidecar, and serves the bound gauges", async () => {
    const sidecar = new DevSidecar({ listen: "127.0.0.1:0", print: false });
    const { address: sidecarAddress } = await sidecar.start();
    const probe = new DaprPublisher({ endpoint: sidecarAddress, timeoutMs: 2000 });
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    const bridge = new Bridge(config(sidecarAddress), {
      logger: silentLogger(),
      deliveryObserver: metrics,
      sinkObserver: metrics,
    });
    metrics.bindStatus(() => bridge.status());
    const http = await startObservability(bridge, {
      metrics,
      checkSidecar: (signal) => probe.checkSidecar(signal),
      sidecarProbeIntervalMs: 0,
    });
    try {
      if (http === undefined) throw new Error("the listener did not start");
      expect((await get(http.address, "/readyz")).status).toBe(503);

      await bridge.start();
      const ready = await get(http.address, "/readyz");
      expect(ready.status).toBe(200);
      expect(JSON.parse(ready.body)).toMatchObject({ status: "ready", state: "running", sidecar: "reachable" });

      const samples = parsePrometheusText((await get(http.address, "/metrics")).body);
      expect(samples.get("dapr_event_bridge_spool_pending_events")).toBe(0);
      expect(samples.get("dapr_event_bridge_sidecar_reachable")).toBe(1);

      await sidecar.close();
      // The probe answers from its cache and refreshes in the background: wait for it to see the outage.
      const sidecarDown = await waitFor(async () => {
        const response = await get(http.address, "/readyz");
        return (JSON.parse(response.body) as { sidecar: string }).sidecar === "unreachable" ? response : undefined;
      });
      expect(sidecarDown.status).toBe(200);

      await bridge.close();
      const closed = await get(http.address, "/readyz");
      expect(closed.status).toBe(503);
      expect(JSON.parse(closed.body)).toMatchObject({
        state: "closed",
        reasons: expect.arrayContaining(["the bridge is closed"]) as unknown,
      });
    } finally {
      await http?.close();
      await bridge.close();
      probe.close();
      await sidecar.close();
    }
  });
});
