import { describe, expect, it } from "vitest";
import { durationMs, parseDurationMs } from "./duration.js";

describe("parseDurationMs", () => {
  it.each([
    [20000, 20000],
    ["20000", 20000],
    ["500ms", 500],
    ["20s", 20000],
    ["2m", 120000],
    ["1h", 3600000],
    ["1m30s", 90000],
    ["1.5s", 1500],
    [" 20s ", 20000],
    [0, 0],
  ])("%j → %d ms", (input, ms) => {
    expect(parseDurationMs(input)).toBe(ms);
  });

  it.each([["20 sec"], ["-5"], [-5], ["s"], [""], ["20d"], [Number.NaN], [true], [null]])("rejects %j", (input) => {
    expect(parseDurationMs(input)).toBeUndefined();
  });
});

describe("durationMs schema", () => {
  it("applies bounds after parsing", () => {
    const schema = durationMs({ min: 1, max: 60_000 });
    expect(schema.parse("1m")).toBe(60_000);
    expect(schema.safeParse("2m").success).toBe(false);
    expect(schema.safeParse("0ms").success).toBe(false);
    expect(schema.safeParse("soon").success).toBe(false);
  });
});
