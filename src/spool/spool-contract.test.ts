// Loads classify before bridge-error: works around the import cycle in src/errors (reported to the lead).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { MemorySpool } from "./memory-spool.js";
import { SqliteSpool } from "./sqlite-spool.js";
import type { OutboundEvent, Spool } from "./spool.js";

function event(index: number, size = 10, key = `key-${index % 3}`): OutboundEvent {
  return {
    id: `id-${index}`,
    key,
    type: "io.dapr.workflows.started",
    pubsub: "pubsub",
    topic: "events",
    format: "protobuf",
    payload: new Uint8Array(size).fill(index % 256),
    acceptedAt: 1_000 + index,
  };
}

function events(count: number, size = 10): OutboundEvent[] {
  return Array.from({ length: count }, (_, index) => event(index, size));
}

interface Bounds {
  maxEvents: number;
  maxBytes: number;
}

const kinds: ReadonlyArray<[string, (dir: string, bounds: Bounds) => Spool]> = [
  ["SqliteSpool", (dir, bounds) => new SqliteSpool({ dir, ...bounds })],
  ["MemorySpool", (_dir, bounds) => new MemorySpool(bounds)],
];

describe.each(kinds)("%s (Spool contract)", (_name, open) => {
  let dir: string;
  const opened: Spool[] = [];
  const make = (bounds: Bounds = { maxEvents: 1_000, maxBytes: 1_000_000 }): Spool => {
    const spool = open(join(dir, `spool-${opened.length}`), bounds);
    opened.push(spool);
    return spool;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "spool-contract-"));
  });
  afterEach(async () => {
    for (const spool of opened.splice(0)) spool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("appends with increasing seqs and reads pending oldest first, paged by afterSeq", () => {
    const spool = make();
    const first = spool.append(events(5));
    const second = spool.append([event(5), event(6)]);
    const seqs = [...first, ...second].map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(7);
    expect(first[0]).toMatchObject({ id: "id-0", attempts: 0, key: "key-0" });

    const page1 = spool.readPending(0, 3);
    expect(page1.map((e) => e.id)).toEqual(["id-0", "id-1", "id-2"]);
    const page2 = spool.readPending(page1[2]?.seq ?? -1, 3);
    expect(page2.map((e) => e.id)).toEqual(["id-3", "id-4", "id-5"]);
    const page3 = spool.readPending(page2[2]?.seq ?? -1, 3);
    expect(page3.map((e) => e.id)).toEqual(["id-6"]);
    expect(spool.readPending(page3[0]?.seq ?? -1, 3)).toEqual([]);
    expect(Array.from(page1[1]?.payload ?? [])).toEqual(Array.from(event(1).payload));
    expect(page1[0]).toMatchObject({ pubsub: "pubsub", topic: "events", format: "protobuf", acceptedAt: 1_000 });
  });

  it("removes published events and never reuses a seq", () => {
    const spool = make();
    const appended = spool.append(events(4));
    spool.remove([appended[1]?.seq ?? -1, appended[3]?.seq ?? -1, 99_999]);
    expect(spool.readPending(0, 10).map((e) => e.id)).toEqual(["id-0", "id-2"]);
    const again = spool.append([event(9)]);
    expect(again[0]?.seq).toBeGreaterThan(appended[3]?.seq ?? Infinity);
    expect(spool.stats()).toEqual({ pending: 3, dead: 0, bytes: 30 });
  });

  it("removes published events under a watermark as a range, and others by seq; dead letters stay", () => {
    const spool = make();
    const seqs = spool.append(events(8)).map((e) => e.seq);
    const at = (i: number): number => seqs[i] ?? -1;
    const dead = { payload: new Uint8Array(20), pubsub: "p", topic: "dead", reason: "r", error: "e", attempts: 1 };
    spool.markDead([{ ...dead, seq: at(1) }]);
    // Below the watermark (id-4): every pending event; above it, id-6 by its seq.
    spool.removePublished(at(4), [at(6)]);
    expect(spool.readPending(0, 10).map((e) => e.id)).toEqual(["id-4", "id-5", "id-7"]);
    expect(spool.stats()).toEqual({ pending: 3, dead: 1, bytes: 50 });
    // A lower or equal watermark removes nothing more; a later one continues the range.
    spool.removePublished(at(2), []);
    expect(spool.stats().pending).toBe(3);
    spool.removePublished(at(7) + 1, []);
    expect(spool.readPending(0, 10)).toEqual([]);
    expect(spool.stats()).toEqual({ pending: 0, dead: 1, bytes: 20 });
    // Seqs appended after a range delete are not taken by it.
    const later = spool.append([event(8)]);
    expect(spool.readPending(0, 10).map((e) => e.seq)).toEqual(later.map((e) => e.seq));
  });

  it("returns nothing for a limit of 0 or less", () => {
    const spool = make();
    spool.append(events(3));
    expect(spool.readPending(0, 0)).toEqual([]);
    expect(spool.readPending(0, -1)).toEqual([]);
  });

  it("ignores unknown seqs and counts a dead letter marked twice once", () => {
    const spool = make();
    const [a] = spool.append(events(1));
    const update = { payload: new Uint8Array(30), pubsub: "p", topic: "dead", reason: "r", error: "e", attempts: 2 };
    spool.markDead([{ ...update, seq: 12_345 }]);
    spool.recordAttempts([{ seq: 12_345, attempts: 1 }]);
    expect(spool.stats()).toEqual({ pending: 1, dead: 0, bytes: 10 });
    spool.markDead([{ ...update, seq: a?.seq ?? -1 }]);
    spool.markDead([{ ...update, seq: a?.seq ?? -1, payload: new Uint8Array(40) }]);
    expect(spool.stats()).toEqual({ pending: 0, dead: 1, bytes: 40 });
  });

  it("records attempts", () => {
    const spool = make();
    const [a, b] = spool.append(events(2));
    spool.recordAttempts([{ seq: a?.seq ?? -1, attempts: 3 }]);
    const read = spool.readPending(0, 10);
    expect(read.map((e) => [e.seq, e.attempts])).toEqual([
      [a?.seq, 3],
      [b?.seq, 0],
    ]);
  });

  it("keeps the deadLetter flag of appended dead letters", () => {
    const spool = make();
    const [appended] = spool.append([{ ...event(0), deadLetter: true }]);
    expect(appended?.deadLetter).toBe(true);
    expect(spool.readPending(0, 1)[0]?.deadLetter).toBe(true);
    spool.append([event(1)]);
    expect(spool.readPending(0, 2)[1]?.deadLetter).toBe(false);
  });

  it("excludes dead letters from pending and counts them apart", () => {
    const spool = make();
    const appended = spool.append(events(3));
    const victim = appended[1]?.seq ?? -1;
    spool.markDead([
      {
        seq: victim,
        payload: new Uint8Array(25),
        pubsub: "dlq-pubsub",
        topic: "dead",
        reason: "max_attempts",
        error: "rejected",
        attempts: 10,
      },
    ]);
    expect(spool.readPending(0, 10).map((e) => e.id)).toEqual(["id-0", "id-2"]);
    expect(spool.stats()).toEqual({ pending: 2, dead: 1, bytes: 45 });
    spool.remove([victim]);
    expect(spool.stats()).toEqual({ pending: 2, dead: 0, bytes: 20 });
  });

  it("has room until the event bound", () => {
    const spool = make({ maxEvents: 3, maxBytes: 1_000_000 });
    spool.append(events(2));
    expect(spool.hasRoom()).toBe(true);
    const [third] = spool.append([event(2)]);
    expect(spool.hasRoom()).toBe(false);
    spool.remove([third?.seq ?? -1]);
    expect(spool.hasRoom()).toBe(true);
  });

  it("has room until the byte bound, dead letters included", () => {
    const spool = make({ maxEvents: 1_000, maxBytes: 100 });
    const [a] = spool.append([event(0, 60)]);
    expect(spool.hasRoom()).toBe(true);
    spool.markDead([
      {
        seq: a?.seq ?? -1,
        payload: new Uint8Array(100),
        pubsub: "p",
        topic: "t",
        reason: "r",
        error: "e",
        attempts: 1,
      },
    ]);
    expect(spool.stats().pending).toBe(0);
    expect(spool.hasRoom()).toBe(false);
  });

  it("refuses bad bounds, naming the option", () => {
    expect(() => make({ maxEvents: 0, maxBytes: 10 })).toThrow(/maxEvents must be a positive integer; got 0/);
    expect(() => make({ maxEvents: 10, maxBytes: 1.5 })).toThrow(/maxBytes/);
  });

  it("throws a spool error after close", () => {
    const spool = make();
    spool.close();
    spool.close();
    let caught: unknown;
    try {
      spool.append(events(1));
    } catch (reason) {
      caught = reason;
    }
    expect(caught).toBeInstanceOf(BridgeError);
    expect((caught as BridgeError).code).toBe(ErrorCode.Spool);
  });
});
