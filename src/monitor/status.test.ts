import { describe, expect, it } from "vitest";
import { movesTo, statusFromOrchestration } from "./status.js";

describe("movesTo", () => {
  it("never leaves a terminal status, whatever the times", () => {
    for (const terminal of ["COMPLETED", "FAILED", "TERMINATED"] as const) {
      expect(movesTo(terminal, 100, "RUNNING", 200)).toBe(false);
      expect(movesTo(terminal, 100, "FAILED", 200)).toBe(false);
    }
  });

  it("takes a terminal status over any other, even from an earlier event", () => {
    expect(movesTo("SUSPENDED", 200, "COMPLETED", 100)).toBe(true);
  });

  it("follows event time otherwise", () => {
    expect(movesTo("SUSPENDED", 200, "RUNNING", 100)).toBe(false);
    expect(movesTo("SUSPENDED", 200, "RUNNING", 300)).toBe(true);
    expect(movesTo("CONTINUED_AS_NEW", 200, "RUNNING", 300)).toBe(true);
  });
});

describe("statusFromOrchestration", () => {
  it("reads names with or without the prefix, and numbers; CANCELED is TERMINATED", () => {
    expect(statusFromOrchestration("ORCHESTRATION_STATUS_FAILED")).toBe("FAILED");
    expect(statusFromOrchestration("SUSPENDED")).toBe("SUSPENDED");
    expect(statusFromOrchestration(4)).toBe("TERMINATED");
    expect(statusFromOrchestration(8)).toBe("RUNNING");
    expect(statusFromOrchestration(42)).toBeUndefined();
    expect(statusFromOrchestration(undefined)).toBeUndefined();
  });
});
