import { describe, expect, it } from "vitest";
import { runScenario } from "../bench/harness.js";
import { prepareLoad } from "../bench/load.js";
import { daprdMissing } from "../bench/scenario-daprd.js";

// The benchmark's harness on a tiny load: every event must arrive. Counts only, never timings.
describe("bench harness (smoke)", () => {
  const load = prepareLoad({ events: 200, streams: 2, seed: 7 });

  it("ceiling: the decode-and-discard sink processes every event", async () => {
    const result = await runScenario("ceiling", {
      load,
      placement: "in-process",
      latencySeconds: 0,
      timeoutMs: 30_000,
    });
    expect(result.events).toBe(200);
    expect(result.delivered).toBe(200);
  });

  it("bridge-memory: the bridge child publishes every event to the dev sidecar, matched by bytes", async () => {
    const result = await runScenario("bridge-memory", { load, latencySeconds: 1, timeoutMs: 30_000 });
    expect(result.events).toBe(200);
    expect(result.delivered).toBe(200);
    expect(result.latency?.delivered).toBe(result.latency?.events);
    expect(result.latency?.samples).toBe(result.latency?.events);
  }, 60_000);

  it("bridge-daprd: every event reaches the Redis stream through the real daprd, or it says why it skipped", async () => {
    const result = await runScenario("bridge-daprd", { load, latencySeconds: 0, timeoutMs: 60_000 });
    const missing = daprdMissing();
    expect(result.skipped).toBe(missing);
    expect(result.delivered).toBe(missing === undefined ? 200 : 0);
    expect(result.daprd === undefined).toBe(missing !== undefined);
  }, 120_000);
});
