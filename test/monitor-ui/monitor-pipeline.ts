import path from "node:path";
import { emit, type GeneratedEvent, type ReceivedEvent } from "../../src/devtools/index.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { tempDir } from "../helpers/config.js";
import { startPipeline } from "../helpers/pipeline.js";

/** The app id the emitter streams as: the monitor's `app`. */
export const MONITOR_TEST_APP = "orders";

/** The whole path the UI reads: emitter → bridge → dev sidecar → monitor, all in this process. */
export interface MonitorPipeline {
  /** The monitor's base URL, ending in `/`: the UI is at this address. */
  readonly url: string;
  /** Sends `events` through the emitter and resolves once the monitor has stored every one of them. */
  send(events: readonly GeneratedEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Starts a dev sidecar, a bridge and a monitor (SQLite in a temp folder) on loopback port 0. */
export async function startMonitorPipeline(): Promise<MonitorPipeline> {
  const pipeline = await startPipeline();
  const store = tempDir("monitor-ui-");
  const monitor = new Monitor({ listen: "127.0.0.1:0", db: path.join(store.dir, "monitor.sqlite") });
  let url: string;
  try {
    ({ url } = await monitor.start());
  } catch (error) {
    await pipeline.close();
    store.remove();
    throw error;
  }
  let delivered = 0;
  return {
    url: `${url}/`,
    send: async (events) => {
      const result = await emit({ target: pipeline.target, frames: events, appId: MONITOR_TEST_APP });
      if (!result.acknowledged) throw new Error(`the bridge did not acknowledge the stream: ${String(result.error)}`);
      const received = await pipeline.sidecar.waitFor(delivered + events.length, { timeoutMs: 30_000 });
      const fresh = received.slice(delivered);
      delivered = received.length;
      await deliver(url, fresh);
    },
    close: async () => {
      await monitor.close();
      await pipeline.close();
      store.remove();
    },
  };
}

/**
 * Hands the monitor what the dev sidecar received, one event at a time in arrival order, as daprd
 * delivers a raw-payload subscription to an HTTP app: its envelope with the bytes in `data_base64`.
 * The monitor answers once the event is stored.
 */
async function deliver(monitorUrl: string, events: readonly ReceivedEvent[]): Promise<void> {
  for (const event of events) {
    const body = JSON.stringify({
      id: crypto.randomUUID(),
      specversion: "1.0",
      source: "dapr-event-bridge",
      type: "com.dapr.event.sent",
      datacontenttype: "application/octet-stream",
      topic: event.topic,
      pubsubname: event.pubsub,
      data_base64: event.data.toString("base64"),
    });
    const response = await fetch(`${monitorUrl}/events`, {
      method: "POST",
      headers: { "content-type": "application/cloudevents+json" },
      body,
    });
    const answer = (await response.json()) as { status?: string };
    if (!response.ok || answer.status !== "SUCCESS") {
      throw new Error(`the monitor answered ${response.status} ${JSON.stringify(answer)} to an event`);
    }
  }
}
