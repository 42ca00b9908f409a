import { afterAll, expect, it } from "vitest";
import { runDemo } from "../../src/devtools/demo.js";
import { stopAllProcesses } from "../../src/devtools/local-processes.js";
import { describeRealDapr } from "../helpers/daprd.js";

// `dapr-event-bridge demo --real`: the demo through a real daprd and a Redis of its own.

afterAll(stopAllProcesses);

describeRealDapr("demo --real", () => {
  it("publishes every event through real daprd into Redis and says so in its last line", async () => {
    const lines: string[] = [];
    const result = await runDemo({ real: true, count: 400, streams: 2, out: (line) => lines.push(line) });
    expect(result.ok).toBe(true);
    expect(result.report).toMatchObject({ sent: 400, published: 400, missing: 0, unexpected: 0 });
    expect(lines[0]).toMatch(/^starting redis-server and daprd 1\.18\.\d+/);
    expect(lines.at(-1)).toBe(`sent 400, published 400, missing 0, duplicates ${result.report.duplicates}`);
  }, 120_000);
});
