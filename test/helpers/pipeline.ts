import { Bridge } from "../../src/bridge.js";
import type { BridgeConfig } from "../../src/config/bridge-config.js";
import { DevSidecar, type DevSidecarOptions } from "../../src/devtools/dev-sidecar.js";
import type { SinkObserver } from "../../src/sink/stream-handler.js";
import { silentLogger } from "../../src/observability/logger.js";
import { tempDir, testConfig } from "./config.js";

/** A dev sidecar and an in-process bridge wired to it; `close()` ends both. */
export interface Pipeline {
  readonly sidecar: DevSidecar;
  readonly bridge: Bridge;
  /** The sink's HOST:PORT. */
  readonly target: string;
  readonly config: BridgeConfig;
  /** Frames the sink has read, over all streams. */
  framesRead(): number;
  close(): Promise<void>;
}

/** Starts a dev sidecar and a bridge on loopback port 0, with test settings and `overrides`. */
export async function startPipeline(
  overrides: Partial<BridgeConfig> = {},
  sidecarOptions: DevSidecarOptions = {},
): Promise<Pipeline> {
  const sidecar = new DevSidecar({ listen: "127.0.0.1:0", ...sidecarOptions });
  const { address } = await sidecar.start();
  const spool = tempDir("bridge-spool-");
  const config = testConfig({ daprGrpcEndpoint: address, spoolDir: spool.dir, ...overrides });
  let frames = 0;
  const sinkObserver: SinkObserver = {
    streamOpened: () => undefined,
    streamClosed: () => undefined,
    frame: () => {
      frames++;
    },
    backpressure: () => undefined,
  };
  const bridge = new Bridge(config, { logger: silentLogger(), sinkObserver });
  let target: string;
  try {
    target = await bridge.start();
  } catch (error) {
    await sidecar.close();
    spool.remove();
    throw error;
  }
  return {
    sidecar,
    bridge,
    target,
    config,
    framesRead: () => frames,
    close: async () => {
      await bridge.close();
      await sidecar.close();
      spool.remove();
    },
  };
}

/** Resolves when `condition()` holds, polling each event-loop turn; rejects after `timeoutMs`. */
export async function waitUntil(condition: () => boolean, timeoutMs = 20_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 5));
  }
}
