import { describe, expect, it } from "vitest";
import type { Logger } from "../observability/logger.js";
import { ThrottledWarning } from "./throttled-warning.js";

function recordingLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const logger = { warn: (fields: Record<string, unknown>) => lines.push(fields) } as unknown as Logger;
  return { logger, lines };
}

describe("ThrottledWarning", () => {
  it("logs the first occurrence, then one line per interval with the count, and the rest on flush", () => {
    let now = 0;
    const { logger, lines } = recordingLogger();
    const warning = new ThrottledWarning({ logger, message: "bad", everyMs: 1000, now: () => now });
    warning.occurred({ n: 1 });
    for (let i = 2; i <= 500; i++) warning.occurred({ n: i });
    now = 1000;
    warning.occurred({ n: 501 });
    for (let i = 502; i <= 600; i++) warning.occurred({ n: i });
    warning.flush();
    warning.flush();
    expect(lines.map((l) => l["count"])).toEqual([1, 500, 99]);
    expect(lines.reduce((sum, l) => sum + Number(l["count"]), 0)).toBe(600);
    expect(lines[2]?.["n"]).toBe(600);
  });
});
