import { expect, it } from "vitest";
import { runDemo } from "../../src/devtools/demo.js";

it("the demo runs the monitor beside the bridge and says what it applied before its last line", async () => {
  const lines: string[] = [];
  const result = await runDemo({ count: 400, streams: 2, out: (line) => lines.push(line) });
  expect(result.ok).toBe(true);
  expect(result.monitor).toMatchObject({ ingested: 400 });
  expect(result.monitor?.instances).toBeGreaterThan(0);
  expect(lines.at(-2)).toMatch(
    /^monitor on http:\/\/127\.0\.0\.1:\d+: applied 400 of 400 events; \d+ workflow instances \(.*\)$/,
  );
  expect(lines.at(-1)).toBe(`sent 400, published 400, missing 0, duplicates ${result.report.duplicates}`);
});
