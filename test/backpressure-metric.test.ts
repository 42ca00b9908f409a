import { afterEach, describe, expect, it } from "vitest";
import { Bridge } from "../src/bridge.js";
import { DevSidecar } from "../src/devtools/dev-sidecar.js";
import { emit } from "../src/devtools/emitter.js";
import { silentLogger } from "../src/observability/logger.js";
import { BridgeMetrics, METRIC_PREFIX } from "../src/observability/metrics.js";
import { parsePrometheusText } from "../src/observability/prometheus-text.js";
import { tempDir, testConfig } from "./helpers/config.js";
import { waitUntil } from "./helpers/pipeline.js";

// Issue 12 item 11: backpressure_seconds_total stayed 0 while a stall was still in progress, so
// the documented alert on its rate never fired during the stall it is meant to catch.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

const SERIES = `${METRIC_PREFIX}backpressure_seconds_total`;

async function backpressureSeconds(metrics: BridgeMetrics): Promise<number> {
  return parsePrometheusText((await metrics.render()).text).get(SERIES) ?? 0;
}

/** Scrapes until `ok` holds; rejects after `timeoutMs`. */
async function scrapeUntil(
  metrics: BridgeMetrics,
  ok: (seconds: number) => boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seconds = await backpressureSeconds(metrics);
    if (ok(seconds)) return seconds;
    if (Date.now() > deadline) throw new Error(`${SERIES} stayed ${seconds} for ${timeoutMs} ms`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}

describe("backpressure_seconds_total", () => {
  it("grows while a stall is still in progress", async () => {
    const sidecar = new DevSidecar({ listen: "127.0.0.1:0", faults: { unavailable: true } });
    const { address } = await sidecar.start();
    closers.push(() => sidecar.close());
    const spool = tempDir("bridge-backpressure-");
    const logger = silentLogger();
    const metrics = new BridgeMetrics({ logger, defaultMetrics: false });
    const bridge = new Bridge(
      testConfig({ daprGrpcEndpoint: address, spoolDir: spool.dir, durability: "disk", spoolMaxEvents: 50 }),
      {
        logger,
        deliveryObserver: metrics,
        sinkObserver: metrics,
      },
    );
    closers.push(async () => {
      await bridge.close();
      spool.remove();
    });
    const target = await bridge.start();
    const stop = new AbortController();
    let blocked = false;
    const emitting = emit({ target, count: 1_000, signal: stop.signal, onBackpressure: () => (blocked = true) });
    closers.push(async () => {
      stop.abort();
      await emitting.catch(() => undefined);
    });
    await waitUntil(() => blocked, 20_000, "the emitter to feel backpressure");
    // The sidecar stays down: the stall never ends during this test, and is counted anyway.
    const first = await scrapeUntil(metrics, (seconds) => seconds > 0);
    const later = await scrapeUntil(metrics, (seconds) => seconds > first);
    expect(later).toBeGreaterThan(first);
    expect(bridge.status().activeStreams).toBe(1);
  });
});
