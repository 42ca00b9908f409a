import { describe, expect, it } from "vitest";
import { bucketValue, durationBucket, percentiles } from "./projection.js";

describe("duration buckets", () => {
  it("estimate a duration within 5%", () => {
    for (const ms of [1_000, 12_345, 600_000, 86_400_000]) {
      const estimate = bucketValue(durationBucket(ms));
      expect(Math.abs(estimate - ms) / ms).toBeLessThan(0.05);
    }
  });

  it("give nearest-rank percentiles over counted buckets, or null without any", () => {
    const b1 = durationBucket(1_000);
    const b2 = durationBucket(10_000);
    const result = percentiles([
      [b2, 10],
      [b1, 90],
    ]);
    expect(result).toEqual({ p50: bucketValue(b1), p90: bucketValue(b1), p99: bucketValue(b2) });
    expect(percentiles([])).toBeNull();
  });
});
