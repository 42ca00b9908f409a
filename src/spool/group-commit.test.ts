import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { waitUntil } from "../../test/helpers/pipeline.js";
import { GroupCommit, SPOOL_UNAVAILABLE_MESSAGE } from "./group-commit.js";
import { MemorySpool } from "./memory-spool.js";
import type { OutboundEvent, SpooledEvent } from "./spool.js";
import { SqliteSpool } from "./sqlite-spool.js";

function event(i: number, size = 10): OutboundEvent {
  return {
    id: `id-${i}`,
    key: "k",
    type: "io.dapr.actors.invoked",
    pubsub: "p",
    topic: "t",
    format: "protobuf",
    payload: new Uint8Array(size).fill(i % 256),
    acceptedAt: i,
  };
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message: string };
}

/** A logger that keeps its JSON lines. */
function recordingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino(
    { level: "info", serializers: { err: pino.stdSerializers.err } },
    { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  );
  return { logger, lines };
}

async function rejection(promise: Promise<unknown>): Promise<BridgeError> {
  try {
    await promise;
  } catch (reason) {
    if (reason instanceof BridgeError) return reason;
    throw reason;
  }
  throw new Error("expected a rejection");
}

/** A memory spool whose commits fail while `full`, as a spool on a full disk does. */
class FullableSpool extends MemorySpool {
  full = false;
  checks = 0;
  constructor() {
    super({ maxEvents: 1_000_000, maxBytes: 1 << 30 });
  }
  override append(events: readonly OutboundEvent[]): SpooledEvent[] {
    if (this.full)
      throw new BridgeError(
        ErrorCode.Spool,
        "Writing events failed in /data/spool.db: database or disk is full. Free disk space.",
      );
    return super.append(events);
  }
  checkWritable(): void {
    this.checks++;
    if (this.full)
      throw new BridgeError(ErrorCode.Spool, "Checking failed in /data/spool.db: database or disk is full.");
  }
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function groupCommit(
  spool: MemorySpool | SqliteSpool,
  extra: Partial<ConstructorParameters<typeof GroupCommit>[0]> = {},
) {
  const committed: SpooledEvent[] = [];
  const observed: SpooledEvent[] = [];
  const commit = new GroupCommit({
    spool,
    onCommitted: (events) => committed.push(...events),
    observer: { committed: (events) => observed.push(...events) },
    ...extra,
  });
  cleanups.push(() => commit.close());
  return { commit, committed, observed };
}

describe("GroupCommit", () => {
  it("commits events added in one event-loop turn as one transaction, in order", async () => {
    const spool = new MemorySpool({ maxEvents: 100, maxBytes: 100_000 });
    let appends = 0;
    const append = spool.append.bind(spool);
    spool.append = (events) => {
      appends++;
      return append(events);
    };
    const { commit, committed, observed } = groupCommit(spool);
    const groups = [commit.add(event(1)), commit.add(event(2)), commit.add(event(3))];
    expect(commit.uncommitted).toBe(3);
    expect(new Set(groups).size).toBe(1);
    await groups[0]?.committed;
    expect(appends).toBe(1);
    expect(committed.map((e) => e.id)).toEqual(["id-1", "id-2", "id-3"]);
    expect(observed).toEqual(committed);
    expect(commit.uncommitted).toBe(0);
  });

  it("commits a full batch at once and starts a new group", async () => {
    const { commit, committed } = groupCommit(new MemorySpool({ maxEvents: 100, maxBytes: 100_000 }), { maxBatch: 2 });
    const first = commit.add(event(1));
    commit.add(event(2));
    expect(committed).toHaveLength(2);
    const second = commit.add(event(3));
    expect(second).not.toBe(first);
    await second.committed;
    expect(committed).toHaveLength(3);
  });

  it("rejects options that are not numbers in range, naming them", () => {
    const spool = new MemorySpool({ maxEvents: 1, maxBytes: 1 });
    expect(() => new GroupCommit({ spool, onCommitted: () => undefined, maxBatch: 0 })).toThrow(
      "GroupCommit maxBatch: expected a number >= 1, got 0",
    );
    expect(() => new GroupCommit({ spool, onCommitted: () => undefined, recheckMs: Number.NaN })).toThrow(
      "GroupCommit recheckMs",
    );
  });

  it("on a failed commit: a generic error for the client, the file and remedy in the log, nothing counted as committed", async () => {
    const spool = new FullableSpool();
    spool.full = true;
    const { logger, lines } = recordingLogger();
    const { commit, committed, observed } = groupCommit(spool, { logger });
    const error = await rejection(commit.add(event(1)).committed);
    expect(error.code).toBe(ErrorCode.Spool);
    expect(error.message).toBe(SPOOL_UNAVAILABLE_MESSAGE);
    expect(error.message).not.toContain("/data");
    expect(committed).toEqual([]);
    expect(observed).toEqual([]);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.level).toBe(50);
    expect(lines[0]?.err?.message).toContain("/data/spool.db: database or disk is full. Free disk space.");
    expect(commit.failure()?.failedCommits).toBe(1);
  });

  it("logs a failure that goes on at most once per logEveryMs, and its end once", async () => {
    const spool = new FullableSpool();
    spool.full = true;
    let clock = 0;
    const { logger, lines } = recordingLogger();
    const { commit } = groupCommit(spool, { logger, logEveryMs: 60_000, now: () => clock });
    for (let i = 0; i < 50; i++) {
      await rejection(commit.add(event(i)).committed);
      clock += 1_000;
    }
    expect(lines.filter((line) => line.level === 50)).toHaveLength(1);
    clock += 60_000;
    await rejection(commit.add(event(99)).committed);
    expect(lines.filter((line) => line.level === 50)).toHaveLength(2);
    expect(commit.failure()?.failedCommits).toBe(51);

    spool.full = false;
    await commit.add(event(100)).committed;
    expect(commit.failure()).toBeUndefined();
    expect(lines.at(-1)?.msg).toBe("the spool can commit events again");
  });

  it("rechecks the spool while commits fail and clears the failure once it can commit, without a commit", async () => {
    const spool = new FullableSpool();
    spool.full = true;
    const { commit } = groupCommit(spool, { recheckMs: 5 });
    await rejection(commit.add(event(1)).committed);
    await waitUntil(() => spool.checks >= 2, 5_000, "rechecks");
    expect(commit.failure()).toBeDefined();
    spool.full = false;
    await waitUntil(() => commit.failure() === undefined, 5_000, "the failure to clear");
  });

  it("with a real SQLite spool that is full (SQLITE_FULL): refuses, then commits again once rows are removed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "bridge-group-commit-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const spool = new SqliteSpool({ dir, maxEvents: 1_000_000, maxBytes: 1 << 30, maxPageCount: 64 });
    cleanups.push(() => spool.close());
    const { logger, lines } = recordingLogger();
    const { commit, committed } = groupCommit(spool, { logger, recheckMs: 5, maxBatch: 1 });
    let error: BridgeError | undefined;
    for (let i = 0; error === undefined && i < 1_000; i++) {
      try {
        await commit.add(event(i, 4_000)).committed;
      } catch (reason) {
        error = reason instanceof BridgeError ? reason : undefined;
      }
    }
    expect(error?.message).toBe(SPOOL_UNAVAILABLE_MESSAGE);
    expect(lines[0]?.err?.message).toMatch(
      new RegExp(
        `in ${spool.file.replaceAll(/[.*+?^${}()|[\]\\]/g, "\\$&")}: database or disk is full\\. Free disk space`,
      ),
    );
    expect(spool.stats().pending).toBe(committed.length);
    expect(commit.failure()).toBeDefined();

    spool.remove(committed.map((e) => e.seq));
    await waitUntil(() => commit.failure() === undefined, 5_000, "the recheck to see room");
    await commit.add(event(1, 4_000)).committed;
    expect(spool.stats().pending).toBe(1);
  });
});
