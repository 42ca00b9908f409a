import { afterEach, describe, expect, it } from "vitest";
import { Bridge } from "../src/bridge.js";
import { compareDelivery } from "../src/devtools/delivery-check.js";
import { DevSidecar } from "../src/devtools/dev-sidecar.js";
import { emit } from "../src/devtools/emitter.js";
import { silentLogger } from "../src/observability/logger.js";
import { BridgeMetrics, METRIC_PREFIX } from "../src/observability/metrics.js";
import { parsePrometheusText } from "../src/observability/prometheus-text.js";
import { allArrived, recorder } from "./helpers/bridge-process.js";
import { tempDir, testConfig } from "./helpers/config.js";
import { waitUntil } from "./helpers/pipeline.js";
import { captureLogs } from "./helpers/log-capture.js";

// Issue 12 item 11: a wrong API token (UNAUTHENTICATED from the bridge's sidecar) dead-lettered
// events. It is a fault of the bridge's configuration: events wait in the spool until it is fixed.

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function capture(): ReturnType<typeof captureLogs> {
  return captureLogs("info");
}

describe("a wrong API token", () => {
  it("is retried without end, counted as unauthenticated, reported once, and never dead-letters", async () => {
    const sidecar = new DevSidecar({ listen: "127.0.0.1:0", apiToken: "the-right-token" });
    const { address } = await sidecar.start();
    closers.push(() => sidecar.close());
    const spool = tempDir("bridge-token-");
    closers.push(() => Promise.resolve(spool.remove()));
    const config = testConfig({
      daprGrpcEndpoint: address,
      spoolDir: spool.dir,
      durability: "disk",
      retry: { initialBackoffMs: 1, multiplier: 1, maxBackoffMs: 5, maxAttempts: 2 },
    });
    const { logger, lines } = capture();
    const metrics = new BridgeMetrics({ defaultMetrics: false });
    const wrong = new Bridge(
      { ...config, daprApiToken: "a-wrong-token" },
      { logger, deliveryObserver: metrics, sinkObserver: metrics },
    );
    metrics.bindStatus(() => wrong.status());
    let wrongOpen = true;
    closers.push(async () => {
      if (wrongOpen) await wrong.close();
    });
    const { sent, onSent } = recorder();
    const result = await emit({ target: await wrong.start(), count: 20, onSent });
    expect(result.acknowledged).toBe(true);
    // Far more refusals than maxAttempts allows per event: retries did not stop at the limit.
    await waitUntil(() => sidecar.stats().unauthenticated >= 200, 30_000, "many refused publishes");
    const samples = parsePrometheusText((await metrics.render()).text);
    expect(samples.get(`${METRIC_PREFIX}publish_failures_total{code="unauthenticated"}`)).toBeGreaterThan(0);
    expect(samples.get(`${METRIC_PREFIX}dead_lettered_total{reason="max_attempts"}`) ?? 0).toBe(0);
    expect(samples.get(`${METRIC_PREFIX}dead_letter_parked_total`) ?? 0).toBe(0);
    expect(wrong.status().spool?.pending).toBe(20);
    const reports = lines.filter((line) => String(line["msg"]).includes("DAPR_API_TOKEN"));
    expect(reports.length).toBeGreaterThanOrEqual(1);
    expect(reports.length).toBeLessThan(5);
    expect(JSON.stringify(lines)).not.toContain("a-wrong-token");
    await wrong.close();
    wrongOpen = false;

    // The token is fixed: the same spool delivers every event, byte for byte.
    const right = new Bridge({ ...config, daprApiToken: "the-right-token" }, { logger: silentLogger() });
    closers.push(() => right.close());
    await right.start();
    await sidecar.waitFor((received) => allArrived(sent, received), { timeoutMs: 30_000 });
    const report = compareDelivery(sent, sidecar.received("pubsub", "dapr-events"));
    expect(report).toMatchObject({ sent: 20, missing: 0, unexpected: 0, outOfOrderKeys: [] });
    expect(sidecar.received("pubsub", "dapr-events-deadletter")).toEqual([]);
  });
});
