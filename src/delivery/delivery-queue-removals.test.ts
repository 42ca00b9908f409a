import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { BatchConfig, RetryConfig } from "../config/bridge-config.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { silentLogger } from "../observability/logger.js";
import type { PublishItem, Publisher, PublishResult } from "../publish/publisher.js";
import { SqliteSpool } from "../spool/sqlite-spool.js";
import type { OutboundEvent } from "../spool/spool.js";
import { waitUntil } from "../../test/helpers/pipeline.js";
import { DeliveryQueue } from "./delivery-queue.js";

/** Publishes everything; records what it saw. */
class AcceptingPublisher implements Publisher {
  readonly published: PublishItem[] = [];
  publish(_pubsub: string, _topic: string, items: readonly PublishItem[]): Promise<PublishResult> {
    this.published.push(...items);
    return Promise.resolve({ failed: new Map() });
  }
  close(): void {}
}

/** A real SQLite spool whose deletes fail while `full` is set, as they do on a full disk. */
class FullDiskSpool extends SqliteSpool {
  full = true;
  failedRemovals = 0;
  override removePublished(below: number, seqs: readonly number[]): void {
    if (this.full) {
      this.failedRemovals++;
      throw new BridgeError(
        ErrorCode.Spool,
        `Removing published events below ${below} and ${seqs.length} more failed in ${this.file}: database or disk is full`,
      );
    }
    super.removePublished(below, seqs);
  }
}

const retry: RetryConfig = { initialBackoffMs: 1, multiplier: 2, maxBackoffMs: 4, maxAttempts: 3 };
const batch: BatchConfig = { maxEntries: 10, maxBytes: 1 << 20, lingerMs: 0, maxInFlight: 4 };

function event(i: number): OutboundEvent {
  return {
    id: `id-${i}`,
    key: `k${i % 5}`,
    type: "io.dapr.actors.invoked",
    pubsub: "p",
    topic: "t",
    format: "json",
    payload: Buffer.from(`{"i":${i}}`),
    acceptedAt: Date.now(),
  };
}

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function queueOn(
  spool: SqliteSpool,
  publisher: Publisher,
  maxInMemoryEvents: number,
  removalHoldMs?: number,
): DeliveryQueue {
  const q = new DeliveryQueue({
    ...(removalHoldMs === undefined ? {} : { removalHoldMs }),
    spool,
    publisher,
    retry,
    batch,
    maxInMemoryEvents,
    ordering: "key",
    deadLetterPubsub: "p",
    deadLetterTopic: "dead",
    logger: silentLogger(),
    random: () => 0.5,
  });
  cleanups.push(() => q.close());
  q.start();
  return q;
}

/** A real SQLite spool that records the seqs it was asked to delete one by one. */
class RecordingSpool extends SqliteSpool {
  readonly bySeq: number[] = [];
  override removePublished(below: number, seqs: readonly number[]): void {
    this.bySeq.push(...seqs);
    super.removePublished(below, seqs);
  }
}

/** Fails every call of key `slow` until `healed`; publishes the rest. */
class SlowKeyPublisher extends AcceptingPublisher {
  healed = false;
  override publish(pubsub: string, topic: string, items: readonly PublishItem[]): Promise<PublishResult> {
    const slow = items.filter((item) => item.metadata["partitionKey"] === "slow");
    if (this.healed || slow.length === 0) return super.publish(pubsub, topic, items);
    const down = new BridgeError(ErrorCode.Unavailable, "sidecar down for this key");
    void super.publish(
      pubsub,
      topic,
      items.filter((item) => !slow.includes(item)),
    );
    return Promise.resolve({ failed: new Map(slow.map((item) => [item.entryId, down])) });
  }
}

describe("DeliveryQueue removals by watermark", () => {
  it("holds published events above an unpublished one, then deletes them all as one range", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-removals-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const spool = new RecordingSpool({ dir, maxEvents: 10_000, maxBytes: 1 << 30 });
    cleanups.push(() => spool.close());
    const publisher = new SlowKeyPublisher();
    const q = queueOn(spool, publisher, 1_000, 60_000);
    q.accept(spool.append([{ ...event(0), key: "slow" }, ...Array.from({ length: 40 }, (_, i) => event(i + 1))]));
    await waitUntil(() => publisher.published.length === 40, 10_000, "every event but the slow key's");
    // Nothing is deleted while the oldest event is unpublished: the watermark stays below it.
    expect(spool.stats().pending).toBe(41);

    publisher.healed = true;
    await waitUntil(() => spool.stats().pending === 0, 10_000, "the range delete after the slow key's event");
    expect(spool.bySeq).toEqual([]);
    expect(await q.drain(5_000)).toBe(true);
  });

  it("keeps paging a backlog far beyond the window while removals wait for the watermark", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-removals-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const spool = new RecordingSpool({ dir, maxEvents: 100_000, maxBytes: 1 << 30 });
    cleanups.push(() => spool.close());
    const publisher = new SlowKeyPublisher();
    const q = queueOn(spool, publisher, 20, 60_000);
    q.accept(spool.append([{ ...event(0), key: "slow" }, ...Array.from({ length: 1_999 }, (_, i) => event(i + 1))]));
    // Removals pile up above the slow key's event, then the watermark passes them all at once.
    await waitUntil(() => publisher.published.length >= 30, 10_000, "events published past the slow key");
    publisher.healed = true;
    expect(await q.drain(20_000)).toBe(true);
    expect(publisher.published).toHaveLength(2_000);
    expect(spool.stats().pending).toBe(0);
  });
});

describe("DeliveryQueue removals on a full disk", () => {
  it("retries deleting published events until the disk has room: pending drops to 0 and a restart republishes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-removals-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const spool = new FullDiskSpool({ dir, maxEvents: 10_000, maxBytes: 1 << 30 });
    cleanups.push(() => spool.close());
    const publisher = new AcceptingPublisher();
    const q = queueOn(spool, publisher, 1_000);
    q.accept(spool.append(Array.from({ length: 50 }, (_, i) => event(i))));
    await waitUntil(
      () => publisher.published.length === 50 && spool.failedRemovals >= 2,
      10_000,
      "publishes and failed deletes",
    );
    expect(spool.stats().pending).toBe(50);

    spool.full = false; // space returns
    await waitUntil(() => spool.stats().pending === 0, 10_000, "the pending count to drop to the truth");
    expect(await q.drain(5_000)).toBe(true);
    await q.close();
    spool.close();

    const reopened = new SqliteSpool({ dir, maxEvents: 10_000, maxBytes: 1 << 30 });
    cleanups.push(() => reopened.close());
    expect(reopened.stats().pending).toBe(0);
    expect(reopened.readPending(0, 100)).toEqual([]);
  });

  it("keeps memory bounded while deletes fail: undeleted events take window room (at most a window plus a removal batch)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-removals-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const spool = new FullDiskSpool({ dir, maxEvents: 100_000, maxBytes: 1 << 30 });
    cleanups.push(() => spool.close());
    const publisher = new AcceptingPublisher();
    const window = 20;
    const total = 6_000;
    const q = queueOn(spool, publisher, window);
    q.accept(spool.append(Array.from({ length: total }, (_, i) => event(i))));
    await waitUntil(() => spool.failedRemovals >= 3, 15_000, "deletes to keep failing");
    // 4096: the removal batch (REMOVAL_BATCH) that is tried at once and found failing.
    expect(publisher.published.length).toBeLessThanOrEqual(4096 + 2 * window);
    expect(q.status().inWindow).toBe(0);

    spool.full = false;
    await waitUntil(() => spool.stats().pending === 0, 30_000, "everything to be published and deleted");
    expect(new Set(publisher.published.map((item) => item.entryId)).size).toBe(total);
    expect(publisher.published.length).toBe(total);
  });
});
