// Loads classify before bridge-error: works around the import cycle in src/errors (reported to the lead).
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../errors/bridge-error.js";
import { MIGRATIONS } from "./schema.js";
import { SqliteSpool, spoolFilePath } from "./sqlite-spool.js";
import type { OutboundEvent } from "./spool.js";
import { thrown } from "../../test/helpers/thrown.js";

function event(index: number, size = 10): OutboundEvent {
  return {
    id: `id-${index}`,
    key: `key-${index % 2}`,
    type: "io.dapr.actors.invoked",
    pubsub: "pubsub",
    topic: "events",
    format: index % 2 === 0 ? "protobuf" : "json",
    payload: new Uint8Array(size).fill(7),
    acceptedAt: 5_000 + index,
  };
}

/** The conventional uid of `nobody`: owns nothing, so file modes apply to it in full. */
const NOBODY = 65534;

/**
 * Runs the synchronous `action` as an unprivileged user when this process is root (CI runs
 * as root, and root passes every permission check): the effective uid drops to `nobody` and
 * comes back in `finally`. Nothing else runs in between, since `action` does not yield.
 */
function asUnprivileged<T>(action: () => T): T {
  if (process.geteuid?.() !== 0 || process.seteuid === undefined) return action();
  process.seteuid(NOBODY);
  try {
    return action();
  } finally {
    process.seteuid(0);
  }
}

describe("SqliteSpool", () => {
  let dir: string;
  const opened: SqliteSpool[] = [];
  const open = (overrides: Partial<{ maxEvents: number; maxBytes: number; fsync: boolean }> = {}): SqliteSpool => {
    const spool = new SqliteSpool({ dir, maxEvents: 1_000, maxBytes: 1_000_000, ...overrides });
    opened.push(spool);
    return spool;
  };

  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), "sqlite-spool-")), "nested", "spool");
  });
  afterEach(async () => {
    for (const spool of opened.splice(0)) spool.close();
    await rm(join(dir, "..", ".."), { recursive: true, force: true });
  });

  it("creates the directory and a WAL database with the chosen synchronous level", () => {
    open({ fsync: true }).close();
    const db = new Database(spoolFilePath(dir), { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.pragma("user_version", { simple: true })).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  it("commits a range removal: a reopened spool has the same rows and counts", () => {
    const spool = open();
    const seqs = spool.append(Array.from({ length: 10 }, (_, i) => event(i, 10 + i))).map((e) => e.seq);
    spool.removePublished(seqs[6] ?? -1, [seqs[8] ?? -1]);
    const before = spool.stats();
    const pendingBefore = spool.readPending(0, 100);
    expect(pendingBefore.map((e) => e.id)).toEqual(["id-6", "id-7", "id-9"]);
    spool.close();

    const reopened = open();
    expect(reopened.stats()).toEqual(before);
    expect(reopened.readPending(0, 100)).toEqual(pendingBefore);
  });

  it("keeps everything across close and reopen, and its running counts equal a fresh open's", () => {
    const spool = open();
    const appended = spool.append(Array.from({ length: 10 }, (_, i) => event(i, 10 + i)));
    spool.remove([appended[0]?.seq ?? -1, appended[4]?.seq ?? -1]);
    spool.recordAttempts([{ seq: appended[1]?.seq ?? -1, attempts: 4 }]);
    spool.markDead([
      {
        seq: appended[2]?.seq ?? -1,
        payload: new Uint8Array(40),
        pubsub: "dlq",
        topic: "dead",
        reason: "max_attempts",
        error: "INVALID_ARGUMENT: bad",
        attempts: 10,
      },
    ]);
    spool.append([{ ...event(20), deadLetter: true }]);
    const before = spool.stats();
    const pendingBefore = spool.readPending(0, 100);
    expect(before.pending).toBe(8);
    expect(before.dead).toBe(1);
    spool.close();

    const reopened = open();
    expect(reopened.stats()).toEqual(before);
    expect(reopened.readPending(0, 100)).toEqual(pendingBefore);
    expect(reopened.readPending(0, 100).find((e) => e.id === "id-1")?.attempts).toBe(4);
    expect(reopened.readPending(0, 100).find((e) => e.id === "id-20")?.deadLetter).toBe(true);
    const next = reopened.append([event(30)]);
    expect(next[0]?.seq).toBeGreaterThan(Math.max(...pendingBefore.map((e) => e.seq)));
  });

  it("refuses a second open of the same directory while the first is open", () => {
    open();
    const error = thrown(() => open());
    expect(error.code).toBe(ErrorCode.Spool);
    expect(error.message).toMatch(/already open in this process/);
  });

  it("takes over a lock file left by a process that is gone", async () => {
    open().close();
    // Pid 2^22 + 1 is above Linux's pid_max, so no live process has it.
    await writeFile(join(dir, "spool.lock"), `${2 ** 22 + 1}\n${hostname()}\n`);
    expect(open().stats().pending).toBe(0);
  });

  it("refuses a directory locked by another live process on this host, and leaves its lock", async () => {
    open().close();
    const lock = `${process.ppid}\n${hostname()}\n`;
    await writeFile(join(dir, "spool.lock"), lock);
    const error = thrown(() => open());
    expect(error.code).toBe(ErrorCode.Spool);
    expect(error.message).toMatch(new RegExp(`in use by process ${process.ppid} .*Stop that bridge first`));
    expect(await readFile(join(dir, "spool.lock"), "utf8")).toBe(lock);
  });

  it("reports a read-only directory as a spool error naming the file, also when the tests run as root", async () => {
    open().close();
    // Root ignores file modes: the open runs with the effective uid of `nobody` (see asUnprivileged).
    await chmod(join(dir, "..", ".."), 0o755);
    await chmod(spoolFilePath(dir), 0o444);
    await chmod(dir, 0o555);
    try {
      const error = thrown(() => asUnprivileged(() => open()));
      expect(error.code).toBe(ErrorCode.Spool);
      expect(error.message).toContain(dir);
      expect(error.message).toMatch(/EACCES/);
      expect(error.message).toMatch(/writable by the bridge/);
    } finally {
      await chmod(dir, 0o755);
      await chmod(spoolFilePath(dir), 0o644);
    }
  });

  it("reports a directory it cannot create as a spool error naming it", async () => {
    const blocker = join(dir, "..", "..", "a-file");
    await writeFile(blocker, "not a directory");
    const error = thrown(() => new SqliteSpool({ dir: join(blocker, "spool"), maxEvents: 1, maxBytes: 1 }));
    expect(error.code).toBe(ErrorCode.Spool);
    expect(error.message).toMatch(/^Creating the spool directory failed in .*a-file.*: .*\. Check/);
  });

  it("reopens with the running counts restored after removing everything", async () => {
    const spool = open();
    spool.remove(spool.append([event(1), event(2)]).map((e) => e.seq));
    spool.close();
    expect(open().stats()).toEqual({ pending: 0, dead: 0, bytes: 0 });
    expect((await stat(spoolFilePath(dir))).isFile()).toBe(true);
  });
});
