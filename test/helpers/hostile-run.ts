import { compareDelivery, type DeliveryReport } from "../../src/devtools/delivery-check.js";
import type { DevSidecar } from "../../src/devtools/dev-sidecar.js";
import { emit, type EmitResult } from "../../src/devtools/emitter.js";
import { generateEvents } from "../../src/devtools/sequences.js";
import {
  allArrived,
  bridgeArgs,
  recorder,
  spawnBridge,
  type BridgeProcess,
  type ProcessTestKit,
} from "./bridge-process.js";

/** What {@link underAttack} saw. */
export interface AttackOutcome {
  readonly bridge: BridgeProcess;
  readonly sidecar: DevSidecar;
  /** The well-behaved stream's result. */
  readonly good: EmitResult;
  /** Its events compared with what the sidecar received, by event bytes. */
  readonly report: DeliveryReport;
  /** Highest RSS of the bridge sampled every 20 ms while the attack ran, bytes. */
  readonly peakRss: number;
}

/**
 * Runs a bridge with its default limits (only the test flags of {@link bridgeArgs} and `extra`),
 * opens a well-behaved stream that writes 200 events/s, and once its first event is delivered
 * runs `attack` while the stream keeps writing; the stream half-closes when the attack
 * resolves. Samples the bridge's RSS throughout.
 */
export async function underAttack(
  kit: ProcessTestKit,
  attack: (bridge: BridgeProcess) => Promise<void>,
  extra: readonly string[] = [],
): Promise<AttackOutcome> {
  const { sidecar, address } = await kit.sidecar();
  const bridge = await spawnBridge(bridgeArgs({ sidecar: address, spoolDir: kit.dir(), extra }));
  let peakRss = bridge.rssBytes();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, bridge.rssBytes())), 20);
  let attacking = true;
  function* whileAttacking() {
    for (const event of generateEvents({ appId: "good-app", seed: 7 })) {
      yield event;
      if (!attacking) return;
    }
  }
  try {
    const { sent, onSent } = recorder();
    const emitting = emit({
      target: bridge.address,
      appId: "good-app",
      frames: whileAttacking(),
      ratePerSec: 200,
      onSent,
    });
    await sidecar.waitFor(1, { timeoutMs: 20_000 });
    try {
      await attack(bridge);
    } finally {
      attacking = false;
    }
    const good = await emitting;
    await sidecar.waitFor((received) => allArrived(sent, received), { timeoutMs: 30_000 });
    const report = compareDelivery(sent, sidecar.received("pubsub", "dapr-events"));
    return { bridge, sidecar, good, report, peakRss: Math.max(peakRss, bridge.rssBytes()) };
  } finally {
    clearInterval(sampler);
  }
}

/** Resolves when `condition()` holds, checking every 20 ms; rejects after `timeoutMs` naming `what`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 20));
  }
}
