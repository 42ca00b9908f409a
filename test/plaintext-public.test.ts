import { afterEach, describe, expect, it } from "vitest";
import { BridgeExitedEarly, bridgeArgs, processTestKit, spawnBridge } from "./helpers/bridge-process.js";

// Issue 12 (item 10): a sink without mTLS on a non-loopback address needs an explicit flag.

const kit = processTestKit();
afterEach(() => kit.close());

describe("a plaintext sink on a non-loopback address", () => {
  it("refuses to start (exit 2) and names the setting that allows it", async () => {
    const { address } = await kit.sidecar();
    const args = bridgeArgs({ sidecar: address, spoolDir: kit.dir(), extra: ["--listen", "0.0.0.0:0"] });
    const failure = await spawnBridge(args).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(BridgeExitedEarly);
    expect((failure as BridgeExitedEarly).exit.code).toBe(2);
    expect((failure as BridgeExitedEarly).stderrText).toMatch(/--allow-plaintext-public true/);
  });

  it("starts with --allow-plaintext-public true and logs a warning", async () => {
    const { address } = await kit.sidecar();
    const args = bridgeArgs({
      sidecar: address,
      spoolDir: kit.dir(),
      extra: ["--listen", "0.0.0.0:0", "--allow-plaintext-public", "true"],
    });
    const bridge = await spawnBridge(args);
    expect(bridge.logs.some((l) => l.level === 40 && typeof l.msg === "string" && l.msg.includes("plaintext"))).toBe(
      true,
    );
  });
});
