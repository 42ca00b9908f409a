import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { SinkServer } from "../src/sink/sink-server.js";
import { createStreamHandler } from "../src/sink/stream-handler.js";
import { OutboundFactory } from "../src/sink/to-outbound.js";
import { Router } from "../src/routing/router.js";
import { emit } from "../src/devtools/emitter.js";
import { takeEvents } from "../src/devtools/sequences.js";
import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { silentLogger, type Logger } from "../src/observability/logger.js";
import { GroupCommit } from "../src/spool/group-commit.js";
import { SqliteSpool } from "../src/spool/sqlite-spool.js";
import type { SpooledEvent } from "../src/spool/spool.js";
import { tempDir } from "./helpers/config.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A pino logger at info whose JSON lines land in `lines`. */
function capturingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((line) => line.length > 0),
      );
      done();
    },
  });
  return { logger: pino({ level: "info" }, destination), lines };
}

describe("a spool that cannot be written", () => {
  it("ends the stream with UNAVAILABLE when SQLite reports the file locked, and logs the operator's remedy with the file", async () => {
    const dir = tempDir("bridge-locked-spool-");
    cleanups.push(dir.remove);
    const spool = new SqliteSpool({ dir: dir.dir, maxEvents: 1_000_000, maxBytes: 1 << 30 });
    cleanups.push(() => spool.close());
    // A second connection to the same file, as another process would hold it. It takes the
    // write lock once the first group is committed; the spool's next insert then waits out
    // better-sqlite3's busy timeout (5 s) and fails inside SQLite with SQLITE_BUSY.
    const other = new Database(spool.file);
    cleanups.push(() => {
      if (other.inTransaction) other.exec("ROLLBACK");
      other.close();
    });
    const committed: SpooledEvent[] = [];
    const commit = new GroupCommit({
      spool,
      maxBatch: 10,
      onCommitted: (events) => {
        committed.push(...events);
        if (!other.inTransaction) other.exec("BEGIN EXCLUSIVE");
      },
    });
    const router = new Router({ routes: [], pubsub: "pubsub", topic: "dapr-events", format: "protobuf" });
    const shutdown = new AbortController();
    const { logger, lines } = capturingLogger();
    const handler = createStreamHandler({
      factory: new OutboundFactory({
        route: (r) => router.route(r),
        deadLetterPubsub: "pubsub",
        deadLetterTopic: "dl",
      }),
      commit,
      hasRoom: () => true,
      waitForRoom: () => Promise.resolve(),
      fallbackIdentity: { appId: "a", namespace: "default" },
      shutdown: shutdown.signal,
      logger,
    });
    const server = new SinkServer({ listen: "127.0.0.1:0", maxMessageBytes: 1 << 20, handler, logger: silentLogger() });
    const target = await server.start();
    cleanups.push(() => {
      shutdown.abort();
      server.forceStop();
    });

    const result = await emit({ target, frames: takeEvents(100, { seed: 5 }) });

    // The client: a retryable status and no EventResponse. (What the message says beyond
    // naming the spool is the sink's business; the details are for the operator's log.)
    expect(result.acknowledged).toBe(false);
    expect(result.error).toBeInstanceOf(BridgeError);
    expect(result.error?.code).toBe(ErrorCode.Unavailable);
    expect(result.error?.message).toMatch(/spool/i);
    // The operator: a log line that names the file, SQLite's own words and what to do about it.
    const explained = lines.filter(
      (line) =>
        line.includes(spool.file) &&
        line.includes("database is locked") &&
        line.includes("Another process holds the spool locked"),
    );
    expect(explained.length, `a log line explaining the failure; got:\n${lines.join("\n")}`).toBeGreaterThan(0);
    // The first group (at most `maxBatch`) was committed before the lock was taken; nothing after it was.
    expect(committed.length).toBeGreaterThan(0);
    expect(committed.length).toBeLessThanOrEqual(10);
    expect(spool.stats().pending).toBe(committed.length);
  });
});
