import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { listDeadLetters, purgeDeadLetters, replayDeadLetters, spoolStats } from "./spool-admin.js";
import { SqliteSpool } from "./sqlite-spool.js";
import type { OutboundEvent } from "./spool.js";

const MINUTE = 60_000;
const NOW = 1_700_000_000_000;

function event(index: number, type: string): OutboundEvent {
  return {
    id: `id-${index}`,
    key: `key-${index}`,
    type,
    pubsub: "pubsub",
    topic: "events",
    format: "protobuf",
    payload: new Uint8Array(10),
    acceptedAt: NOW - 120 * MINUTE + index,
  };
}

/**
 * A spool with 2 pending events and 4 dead letters, parked 90, 60, 30 and 5 minutes before NOW:
 * workflow started (90), activity failed (60), actor invoked (30), workflow failed (5).
 */
function seed(dir: string): void {
  let clock = 0;
  const spool = new SqliteSpool({ dir, maxEvents: 100, maxBytes: 100_000, now: () => clock });
  try {
    const types = [
      "io.dapr.workflows.started",
      "io.dapr.workflows.activity.failed",
      "io.dapr.actors.invoked",
      "io.dapr.workflows.failed",
      "io.dapr.workflows.completed",
      "io.dapr.actors.activated",
    ];
    const appended = spool.append(types.map((type, index) => event(index, type)));
    [90, 60, 30, 5].forEach((minutesAgo, index) => {
      clock = NOW - minutesAgo * MINUTE;
      spool.markDead([
        {
          seq: appended[index]?.seq ?? -1,
          payload: new Uint8Array(20),
          pubsub: "pubsub",
          topic: "dead-letters",
          reason: "max_attempts",
          error: `error ${index}`,
          attempts: 10,
        },
      ]);
    });
  } finally {
    spool.close();
  }
}

describe("dead letters", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "dead-letters-"));
    seed(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("lists dead letters oldest first with their reason, error and target", () => {
    const all = listDeadLetters(dir, { now: NOW });
    expect(all.map((d) => d.id)).toEqual(["id-0", "id-1", "id-2", "id-3"]);
    expect(all[0]).toMatchObject({
      type: "io.dapr.workflows.started",
      topic: "dead-letters",
      reason: "max_attempts",
      error: "error 0",
      attempts: 10,
      bytes: 20,
      deadAt: NOW - 90 * MINUTE,
    });
  });

  it("filters by exact type, type prefix, age and limit", () => {
    const ids = (filter: Parameters<typeof listDeadLetters>[1]): string[] =>
      listDeadLetters(dir, { now: NOW, ...filter }).map((d) => d.id);
    expect(ids({ type: "io.dapr.workflows.failed" })).toEqual(["id-3"]);
    expect(ids({ type: "io.dapr.workflows" })).toEqual([]);
    expect(ids({ type: "io.dapr.workflows.*" })).toEqual(["id-0", "id-1", "id-3"]);
    expect(ids({ olderThanMs: 45 * MINUTE })).toEqual(["id-0", "id-1"]);
    expect(ids({ newerThanMs: 45 * MINUTE })).toEqual(["id-2", "id-3"]);
    expect(ids({ olderThanMs: 10 * MINUTE, newerThanMs: 70 * MINUTE })).toEqual(["id-1", "id-2"]);
    expect(ids({ type: "io.dapr.workflows.*", limit: 2 })).toEqual(["id-0", "id-1"]);
  });

  it("reports stats with the oldest pending and dead times", () => {
    expect(spoolStats(dir)).toMatchObject({
      pending: 2,
      dead: 4,
      bytes: 2 * 10 + 4 * 20,
      oldestPendingAcceptedAt: NOW - 120 * MINUTE + 4,
      oldestDeadAt: NOW - 90 * MINUTE,
    });
  });

  it("replays matching dead letters as pending with attempts 0, keeping id and seq", () => {
    const before = listDeadLetters(dir, { now: NOW });
    expect(replayDeadLetters(dir, { type: "io.dapr.workflows.*", olderThanMs: 45 * MINUTE, now: NOW })).toBe(2);
    expect(listDeadLetters(dir, { now: NOW }).map((d) => d.id)).toEqual(["id-2", "id-3"]);

    const spool = new SqliteSpool({ dir, maxEvents: 100, maxBytes: 100_000 });
    try {
      expect(spool.stats()).toMatchObject({ pending: 4, dead: 2 });
      const replayed = spool.readPending(0, 10).filter((e) => e.id === "id-0" || e.id === "id-1");
      expect(replayed.map((e) => [e.id, e.seq, e.attempts, e.topic, e.deadLetter])).toEqual([
        ["id-0", before[0]?.seq, 0, "dead-letters", true],
        ["id-1", before[1]?.seq, 0, "dead-letters", true],
      ]);
    } finally {
      spool.close();
    }
  });

  it("refuses to replay or purge while a bridge holds the spool", () => {
    const spool = new SqliteSpool({ dir, maxEvents: 100, maxBytes: 100_000 });
    try {
      expect(() => replayDeadLetters(dir, {})).toThrow(/already open|in use/);
      expect(() => purgeDeadLetters(dir, {}, { confirm: true })).toThrow(/already open|in use/);
      expect(listDeadLetters(dir)).toHaveLength(4);
      expect(spoolStats(dir).dead).toBe(4);
    } finally {
      spool.close();
    }
  });

  it("purges only with confirm, and only what matches", () => {
    let refusal: unknown;
    try {
      purgeDeadLetters(dir, { type: "io.dapr.actors.*" }, { confirm: false });
    } catch (reason) {
      refusal = reason;
    }
    expect(refusal).toBeInstanceOf(BridgeError);
    expect((refusal as BridgeError).code).toBe(ErrorCode.InvalidConfig);
    expect((refusal as BridgeError).message).toMatch(/deletes 1 dead letters .* Pass --yes to confirm/);
    expect(listDeadLetters(dir)).toHaveLength(4);

    expect(purgeDeadLetters(dir, { type: "io.dapr.actors.*" }, { confirm: true })).toBe(1);
    expect(listDeadLetters(dir).map((d) => d.id)).toEqual(["id-0", "id-1", "id-3"]);
    expect(spoolStats(dir)).toMatchObject({ pending: 2, dead: 3 });
  });

  it("names the missing spool and what to do", () => {
    const missing = join(dir, "nope");
    expect(() => listDeadLetters(missing)).toThrow(/There is no spool at .*nope.*Check --spool-dir/);
    expect(() => replayDeadLetters(missing)).toThrow(/There is no spool/);
    expect(() => spoolStats(missing)).toThrow(/There is no spool/);
  });
});
