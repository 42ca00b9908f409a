import { afterEach, describe, expect, it } from "vitest";
import type { SinkServer } from "../src/sink/sink-server.js";
import { SinkServer as Server } from "../src/sink/sink-server.js";
import { createStreamHandler } from "../src/sink/stream-handler.js";
import { OutboundFactory } from "../src/sink/to-outbound.js";
import { Router } from "../src/routing/router.js";
import { emit } from "../src/devtools/emitter.js";
import { takeEvents } from "../src/devtools/sequences.js";
import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { silentLogger } from "../src/observability/logger.js";
import { GroupCommit } from "../src/spool/group-commit.js";
import { SqliteSpool } from "../src/spool/sqlite-spool.js";
import type { OutboundEvent, SpooledEvent } from "../src/spool/spool.js";
import { tempDir } from "./helpers/config.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A real SQLite spool that becomes unwritable: after `okBatches` commits its database is
 * closed underneath it, so the next append fails inside better-sqlite3 as a full disk or a
 * vanished volume would.
 */
class BreakingSpool extends SqliteSpool {
  private commits = 0;
  constructor(dir: string, private readonly okBatches: number) {
    super({ dir, maxEvents: 1_000_000, maxBytes: 1 << 30 });
  }
  override append(events: readonly OutboundEvent[]): SpooledEvent[] {
    this.commits++;
    if (this.commits > this.okBatches) this.close();
    return super.append(events);
  }
}

describe("a spool that cannot be written", () => {
  it("ends the stream with UNAVAILABLE and a message that says why, never with an EventResponse", async () => {
    const dir = tempDir("bridge-broken-spool-");
    cleanups.push(dir.remove);
    const spool = new BreakingSpool(dir.dir, 1);
    cleanups.push(() => {
      try {
        spool.close();
      } catch {
        // already closed by the fault
      }
    });
    const committed: SpooledEvent[] = [];
    const commit = new GroupCommit({ spool, maxBatch: 10, onCommitted: (events) => committed.push(...events) });
    const router = new Router({ routes: [], pubsub: "pubsub", topic: "dapr-events", format: "protobuf" });
    const shutdown = new AbortController();
    const handler = createStreamHandler({
      factory: new OutboundFactory({ route: (r) => router.route(r), deadLetterPubsub: "pubsub", deadLetterTopic: "dl" }),
      commit,
      hasRoom: () => true,
      waitForRoom: () => Promise.resolve(),
      fallbackIdentity: { appId: "a", namespace: "default" },
      shutdown: shutdown.signal,
      logger: silentLogger(),
    });
    const server: SinkServer = new Server({ listen: "127.0.0.1:0", maxMessageBytes: 1 << 20, handler, logger: silentLogger() });
    const target = await server.start();
    cleanups.push(() => {
      shutdown.abort();
      server.forceStop();
    });
    const result = await emit({ target, frames: takeEvents(100, { seed: 5 }) });
    expect(result.acknowledged).toBe(false);
    expect(result.error?.code).toBe(ErrorCode.Unavailable);
    expect(result.error?.message).toMatch(/spool/i);
    expect(result.error?.message).toContain(spool.file);
    // The first group was committed before the fault; the stream stopped at the failed group.
    expect(committed.length).toBeGreaterThan(0);
    expect(committed.length).toBeLessThanOrEqual(10);
    expect(result.error).toBeInstanceOf(BridgeError);
  });
});
