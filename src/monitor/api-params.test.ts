import { describe, expect, it } from "vitest";
import { BadRequest, encodeCursor, parseListQuery, parseTimeParam } from "./api-params.js";

const NOW = Date.parse("2026-11-30T09:00:00Z");

describe("parseTimeParam", () => {
  it("reads a duration back from now or an RFC 3339 time", () => {
    expect(parseTimeParam("since", "1h", NOW)).toBe(NOW - 3_600_000);
    expect(parseTimeParam("since", "90s", NOW)).toBe(NOW - 90_000);
    expect(parseTimeParam("since", "2026-11-30T08:00:00Z", NOW)).toBe(Date.parse("2026-11-30T08:00:00Z"));
    expect(parseTimeParam("since", null, NOW)).toBeUndefined();
    expect(() => parseTimeParam("until", "last week", NOW)).toThrow(/^until: expected a duration back from now/);
  });
});

describe("parseListQuery", () => {
  it("takes a status in any case, a limit and a cursor it gave", () => {
    const cursor = encodeCursor({ createdAtMs: 5, app: "a", instanceId: "i" });
    const query = parseListQuery(new URLSearchParams({ status: "failed", limit: "10", cursor, name: "P" }), NOW);
    expect(query).toEqual({
      status: "FAILED",
      limit: 10,
      name: "P",
      cursor: { createdAtMs: 5, app: "a", instanceId: "i" },
    });
    expect(parseListQuery(new URLSearchParams(), NOW)).toEqual({ limit: 50 });
  });

  it("names the parameter it refuses", () => {
    expect(() => parseListQuery(new URLSearchParams({ limit: "501" }), NOW)).toThrow(BadRequest);
    expect(() => parseListQuery(new URLSearchParams({ limit: "501" }), NOW)).toThrow(
      /^limit: expected an integer 1..500/,
    );
    expect(() => parseListQuery(new URLSearchParams({ status: "done" }), NOW)).toThrow(/^status: expected one of/);
  });
});
