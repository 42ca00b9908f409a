import path from "node:path";
import { emit, type GeneratedEvent } from "../../src/devtools/index.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { tempDir } from "../helpers/config.js";
import { startPipeline, type Pipeline } from "../helpers/pipeline.js";

/** The app id the emitter streams as: the monitor's `app`. */
export const MONITOR_TEST_APP = "orders";

/** The whole path the UI reads: emitter → bridge → dev sidecar → monitor, all in this process. */
export interface MonitorPipeline {
  /** The monitor's base URL, ending in `/`: the UI is at this address. */
  readonly url: string;
  /** Sends `events` through the emitter and resolves once the monitor has applied every one of them. */
  send(events: readonly GeneratedEvent[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts a monitor (SQLite in a temp folder), then a dev sidecar that delivers to it as daprd does
 * (its programmatic subscription, raw payload) and a bridge publishing to that sidecar, all on
 * loopback port 0.
 */
export async function startMonitorPipeline(): Promise<MonitorPipeline> {
  const store = tempDir("monitor-ui-");
  const monitor = new Monitor({ listen: "127.0.0.1:0", db: path.join(store.dir, "monitor.sqlite") });
  let url: string;
  let pipeline: Pipeline;
  try {
    ({ url } = await monitor.start());
    pipeline = await startPipeline({}, { appUrl: url });
  } catch (error) {
    await monitor.close();
    store.remove();
    throw error;
  }
  let sent = 0;
  return {
    url: `${url}/`,
    send: async (events) => {
      const result = await emit({ target: pipeline.target, frames: events, appId: MONITOR_TEST_APP });
      if (!result.acknowledged) throw new Error(`the bridge did not acknowledge the stream: ${String(result.error)}`);
      sent += events.length;
      await pipeline.sidecar.waitFor(sent, { timeoutMs: 30_000 });
      await pipeline.sidecar.deliveredToApp();
      // The monitor answers a delivery once its event is committed, so its counters are final here.
      const { ingested, duplicates, dropped } = monitor.stats();
      const delivery = pipeline.sidecar.deliveryStats();
      if (ingested !== sent || duplicates !== 0 || dropped !== 0 || delivery?.dropped !== 0) {
        const stats = JSON.stringify({ sent, ingested, duplicates, dropped, delivery });
        throw new Error(`the monitor did not apply every event exactly once: ${stats}`);
      }
    },
    close: async () => {
      await pipeline.close();
      await monitor.close();
      store.remove();
    },
  };
}
