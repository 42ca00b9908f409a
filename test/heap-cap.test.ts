import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_HEAP_CAP_MB } from "../src/cli/heap-cap.js";
import { bridgeArgs, processTestKit, spawnBridge } from "./helpers/bridge-process.js";
import { waitUntil } from "./helpers/pipeline.js";

// `run` started as the README says (no node flags, no NODE_OPTIONS) relaunches itself with a
// heap cap; the launcher stands in for the bridge in signals and exit status.

const kit = processTestKit();
afterEach(() => kit.close());

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .split(" ")
      .filter((text) => text.trim() !== "")
      .map(Number);
  } catch {
    return [];
  }
}

/** Whether a process is gone (or a zombie: it has exited, its parent has not reaped it yet). */
function ended(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return true;
  }
}

describe.runIf(process.platform === "linux")("the bridge's own heap cap", () => {
  it("runs the bridge in a child node with the cap, which drains and exits 0 on the launcher's SIGTERM", async () => {
    const { address } = await kit.sidecar();
    const bridge = await spawnBridge(bridgeArgs({ sidecar: address, spoolDir: kit.dir() }), {
      env: { NODE_OPTIONS: "" },
    });
    const [child] = childrenOf(bridge.pid);
    expect(child).toBeDefined();
    const argv = readFileSync(`/proc/${child ?? 0}/cmdline`, "utf8").split("\0");
    expect(argv).toContain(`--max-old-space-size=${DEFAULT_HEAP_CAP_MB}`);
    bridge.kill("SIGTERM");
    expect(await bridge.exited).toEqual({ code: 0, signal: null });
    expect(bridge.logs.some((line) => line.msg === "drained")).toBe(true);
  });

  it("ends the bridge when the launcher is SIGKILLed, so a new bridge can take the spool", async () => {
    const { address } = await kit.sidecar();
    const dir = kit.dir();
    const first = await spawnBridge(bridgeArgs({ sidecar: address, spoolDir: dir }), { env: { NODE_OPTIONS: "" } });
    const [child] = childrenOf(first.pid);
    expect(child).toBeDefined();
    first.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    await waitUntil(() => ended(child ?? 0), 10_000, "the relaunched bridge to end with its launcher");
    const second = await spawnBridge(bridgeArgs({ sidecar: address, spoolDir: dir }), { env: { NODE_OPTIONS: "" } });
    expect(second.address).not.toBe("");
  });
});
