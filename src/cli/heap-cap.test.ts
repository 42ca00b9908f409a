import { describe, expect, it } from "vitest";
import { needsHeapCap } from "./heap-cap.js";

describe("needsHeapCap", () => {
  it("relaunches the bridge (run, or no command) when no heap cap is named", () => {
    expect(needsHeapCap([], [])).toBe(true);
    expect(needsHeapCap(["run", "--listen", "127.0.0.1:0"], [])).toBe(true);
    expect(needsHeapCap(["--listen", "127.0.0.1:0"], ["--enable-source-maps"], "--trace-warnings")).toBe(true);
  });

  it("leaves a cap of the user's alone, in the node flags or NODE_OPTIONS", () => {
    expect(needsHeapCap(["run"], ["--max-old-space-size=256"])).toBe(false);
    expect(needsHeapCap(["run"], ["--max_old_space_size=256"])).toBe(false);
    expect(needsHeapCap(["run"], [], "--enable-source-maps --max-old-space-size=96")).toBe(false);
  });

  it("runs the other commands as they are", () => {
    for (const command of ["emit", "dev-sidecar", "demo", "spool", "dead-letters", "config", "help", "--help", "-V"])
      expect(needsHeapCap([command], [])).toBe(false);
  });
});
