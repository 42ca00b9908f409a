import { afterEach, describe, expect, it } from "vitest";
import type { BatchConfig, RetryConfig } from "../config/bridge-config.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { silentLogger } from "../observability/logger.js";
import type { PublishItem, Publisher, PublishResult } from "../publish/publisher.js";
import { MemorySpool } from "../spool/memory-spool.js";
import type { OutboundEvent, Spool } from "../spool/spool.js";
import { waitUntil } from "../../test/helpers/pipeline.js";
import { DeliveryQueue } from "./delivery-queue.js";

/** One publish call as the scripted publisher saw it. */
interface Call {
  readonly topic: string;
  readonly items: readonly PublishItem[];
}

/**
 * A Publisher whose answers a test scripts per call: `decide` returns the entries to fail (by
 * entry id) with an error, or throws to fail the whole call. Unit-level stand-in for the
 * sidecar; the end-to-end tests use the real gRPC dev sidecar.
 */
class ScriptedPublisher implements Publisher {
  readonly calls: Call[] = [];
  readonly published: PublishItem[] = [];
  constructor(private readonly decide: (call: Call, n: number) => ReadonlyMap<string, BridgeError> = () => new Map()) {}
  publish(_pubsub: string, topic: string, items: readonly PublishItem[]): Promise<PublishResult> {
    const call = { topic, items };
    this.calls.push(call);
    try {
      const failed = this.decide(call, this.calls.length);
      for (const item of items) if (!failed.has(item.entryId)) this.published.push(item);
      return Promise.resolve({ failed });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  close(): void {}
}

const retry: RetryConfig = { initialBackoffMs: 1, multiplier: 2, maxBackoffMs: 4, maxAttempts: 3 };
const batch: BatchConfig = { maxEntries: 10, maxBytes: 1 << 20, lingerMs: 0, maxInFlight: 4 };

function event(i: number, key: string, topic = "t"): OutboundEvent {
  return {
    id: `id-${i}`,
    key,
    type: "io.dapr.actors.invoked",
    pubsub: "p",
    topic,
    format: "json",
    payload: Buffer.from(JSON.stringify({ id: `id-${i}` })),
    acceptedAt: Date.now(),
  };
}

const queues: DeliveryQueue[] = [];
afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => q.close()));
});

function queue(
  spool: Spool,
  publisher: Publisher,
  overrides: { maxInMemoryEvents?: number; ordering?: "key" | "none" } = {},
): DeliveryQueue {
  const q = new DeliveryQueue({
    spool,
    publisher,
    retry,
    batch,
    maxInMemoryEvents: overrides.maxInMemoryEvents ?? 1000,
    ordering: overrides.ordering ?? "key",
    deadLetterPubsub: "p",
    deadLetterTopic: "dead",
    logger: silentLogger(),
    random: () => 0.5,
  });
  queues.push(q);
  q.start();
  return q;
}

function idsOf(items: readonly PublishItem[]): string[] {
  return items.map((item) => (JSON.parse(Buffer.from(item.data).toString()) as { id: string }).id);
}

describe("DeliveryQueue", () => {
  it("publishes each key's events in order with at most one of a key in flight, even when calls fail", async () => {
    const spool = new MemorySpool({ maxEvents: 10_000, maxBytes: 1 << 30 });
    const unavailable = new BridgeError(ErrorCode.Unavailable, "down");
    const publisher = new ScriptedPublisher((call, n) =>
      n % 3 === 0 ? new Map(call.items.map((i) => [i.entryId, unavailable])) : new Map(),
    );
    const q = queue(spool, publisher);
    const events = Array.from({ length: 200 }, (_, i) => event(i, `k${i % 7}`));
    q.accept(spool.append(events));
    expect(await q.drain(10_000)).toBe(true);
    for (const call of publisher.calls) {
      const keys = call.items.map((i) => i.metadata["partitionKey"]);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const byKey = new Map<string, number[]>();
    for (const id of idsOf(publisher.published)) {
      const n = Number(id.slice(3));
      const list = byKey.get(`k${n % 7}`) ?? [];
      list.push(n);
      byKey.set(`k${n % 7}`, list);
    }
    for (const list of byKey.values()) expect(list).toEqual([...list].sort((a, b) => a - b));
    expect(publisher.published).toHaveLength(200);
    expect(spool.stats().pending).toBe(0);
  });

  it("dead-letters after maxAttempts non-retryable failures, keeping the id and unblocking the key", async () => {
    const spool = new MemorySpool({ maxEvents: 100, maxBytes: 1 << 30 });
    const rejected = new BridgeError(ErrorCode.Rejected, "bad topic");
    const publisher = new ScriptedPublisher((call) =>
      call.topic === "bad" ? new Map(call.items.map((i) => [i.entryId, rejected])) : new Map(),
    );
    const q = queue(spool, publisher);
    q.accept(spool.append([event(1, "a", "bad"), event(2, "a", "good")]));
    expect(await q.drain(10_000)).toBe(true);
    expect(publisher.calls.filter((c) => c.topic === "bad")).toHaveLength(retry.maxAttempts);
    const dead = publisher.calls.find((c) => c.topic === "dead");
    const letter = JSON.parse(Buffer.from((dead?.items[0] as PublishItem).data).toString()) as Record<string, unknown>;
    expect(letter).toMatchObject({ id: "id-1", deadletterreason: "max_attempts", deadletterattempts: 3 });
    expect(String(letter["deadlettererror"])).toContain("bad topic");
    // The key's next event was published only after its predecessor was dead-lettered.
    expect(idsOf(publisher.published)).toEqual(["id-1", "id-2"]);
  });

  it("parks a dead letter in the spool when the dead-letter publish fails too", async () => {
    const spool = new MemorySpool({ maxEvents: 100, maxBytes: 1 << 30 });
    const rejected = new BridgeError(ErrorCode.Rejected, "no");
    const publisher = new ScriptedPublisher((call) => new Map(call.items.map((i) => [i.entryId, rejected])));
    const q = queue(spool, publisher);
    q.accept(spool.append([event(1, "a")]));
    expect(await q.drain(10_000)).toBe(true);
    expect(spool.stats()).toMatchObject({ pending: 0, dead: 1 });
  });

  it("keeps a dead letter it could not park pending while later events are removed under the watermark", async () => {
    class UnparkableSpool extends MemorySpool {
      override markDead(): void {
        throw new BridgeError(ErrorCode.Spool, "Parking failed: disk full");
      }
    }
    const spool = new UnparkableSpool({ maxEvents: 100, maxBytes: 1 << 30 });
    const rejected = new BridgeError(ErrorCode.Rejected, "no");
    const publisher = new ScriptedPublisher((call) =>
      call.topic === "good" ? new Map() : new Map(call.items.map((i) => [i.entryId, rejected])),
    );
    const q = queue(spool, publisher);
    const events = [event(0, "a", "bad"), ...Array.from({ length: 30 }, (_, i) => event(i + 1, `k${i}`, "good"))];
    q.accept(spool.append(events));
    expect(await q.drain(10_000)).toBe(true);
    expect(publisher.published).toHaveLength(30);
    expect(spool.readPending(0, 100).map((e) => e.id)).toEqual(["id-0"]);
    expect(spool.stats()).toMatchObject({ pending: 1, dead: 0 });
  });

  it("retries retryable failures without end until they succeed", async () => {
    const spool = new MemorySpool({ maxEvents: 100, maxBytes: 1 << 30 });
    const publisher = new ScriptedPublisher((call, n) => {
      if (n <= 25) throw new BridgeError(ErrorCode.Unavailable, "sidecar down");
      return new Map();
    });
    const q = queue(spool, publisher);
    q.accept(spool.append([event(1, "a"), event(2, "b")]));
    expect(await q.drain(10_000)).toBe(true);
    expect(publisher.calls.length).toBeGreaterThan(25);
    expect(idsOf(publisher.published).sort()).toEqual(["id-1", "id-2"]);
  });

  it("holds at most maxInMemoryEvents and pages the rest in from the spool in order", async () => {
    const spool = new MemorySpool({ maxEvents: 10_000, maxBytes: 1 << 30 });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    let windowPeak = 0;
    const publisher: Publisher = {
      publish: async (_p, _t, items) => {
        windowPeak = Math.max(windowPeak, q.status().inWindow);
        await gate;
        published.push(...idsOf(items));
        return { failed: new Map() };
      },
      close: () => undefined,
    };
    const published: string[] = [];
    const q = queue(spool, publisher, { maxInMemoryEvents: 40 });
    q.accept(spool.append(Array.from({ length: 300 }, (_, i) => event(i, "one-key"))));
    expect(q.status().inWindow).toBeLessThanOrEqual(40);
    expect(q.status().backlogOnDisk).toBe(true);
    release();
    expect(await q.drain(10_000)).toBe(true);
    expect(windowPeak).toBeLessThanOrEqual(40);
    expect(published).toEqual(Array.from({ length: 300 }, (_, i) => `id-${i}`));
  });

  it("after an outage, releases events backing off instead of waiting out their grown backoffs", async () => {
    const spool = new MemorySpool({ maxEvents: 100, maxBytes: 1 << 30 });
    let down = true;
    const publisher = new ScriptedPublisher(() => {
      if (down) throw new BridgeError(ErrorCode.Unavailable, "sidecar down");
      return new Map();
    });
    // Backoff up to 60 s: without the release, the first keys would wait about 10 s more.
    const q = new DeliveryQueue({
      spool,
      publisher,
      retry: { initialBackoffMs: 1, multiplier: 10, maxBackoffMs: 60_000, maxAttempts: 3 },
      batch: { ...batch, maxEntries: 1 },
      maxInMemoryEvents: 100,
      ordering: "key",
      deadLetterPubsub: "p",
      deadLetterTopic: "dead",
      logger: silentLogger(),
      random: () => 0.99,
    });
    queues.push(q);
    q.start();
    q.accept(spool.append([event(1, "a"), event(2, "b"), event(3, "c")]));
    // Five failures each: the next retries are about 10 s away.
    const tries = (key: string): number =>
      publisher.calls.filter((c) => c.items[0]?.metadata["partitionKey"] === key).length;
    await waitUntil(() => ["a", "b", "c"].every((key) => tries(key) >= 5), 10_000, "five tries of each key");
    down = false;
    // One more key retries soon (its backoff is reset by this new event's own first try).
    q.accept(spool.append([event(4, "d")]));
    expect(await q.drain(5_000)).toBe(true);
    expect(idsOf(publisher.published).sort()).toEqual(["id-1", "id-2", "id-3", "id-4"]);
  });

  it("reports a drain that cannot finish, leaving the events in the spool", async () => {
    const spool = new MemorySpool({ maxEvents: 100, maxBytes: 1 << 30 });
    const publisher = new ScriptedPublisher(() => {
      throw new BridgeError(ErrorCode.Unavailable, "down");
    });
    const q = queue(spool, publisher);
    q.accept(spool.append([event(1, "a")]));
    expect(await q.drain(50)).toBe(false);
    expect(spool.stats().pending).toBe(1);
  });
});
