import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../errors/bridge-error.js";
import { SqliteSpool, spoolFilePath } from "./sqlite-spool.js";
import type { OutboundEvent } from "./spool.js";
import { thrown } from "../../test/helpers/thrown.js";

function event(index: number): OutboundEvent {
  return {
    id: `id-${index}`,
    key: "k",
    type: "io.dapr.actors.invoked",
    pubsub: "pubsub",
    topic: "events",
    format: "protobuf",
    payload: new Uint8Array(100).fill(index),
    acceptedAt: 1_000 + index,
  };
}

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe("the spool's files", () => {
  let root: string;
  let umask: number;
  const opened: SqliteSpool[] = [];
  const open = (dir: string, extra: { resetEmpty?: boolean; allowSymlink?: boolean } = {}): SqliteSpool => {
    const spool = new SqliteSpool({ dir, maxEvents: 1_000, maxBytes: 1_000_000, ...extra });
    opened.push(spool);
    return spool;
  };

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "bridge-spool-files-"));
    // The usual umask, under which files are 0644 and directories 0755 unless the code says otherwise.
    umask = process.umask(0o022);
  });

  afterEach(() => {
    process.umask(umask);
    for (const spool of opened.splice(0)) spool.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("creates the directory 0700 and the database, -wal, -shm and lock 0600 under umask 022", () => {
    const dir = join(root, "a", "spool");
    const spool = open(dir);
    spool.append([event(1)]);
    const file = spoolFilePath(dir);
    expect(modeOf(dir).toString(8)).toBe("700");
    for (const path of [file, `${file}-wal`, `${file}-shm`, join(dir, "spool.lock")]) {
      expect({ path, mode: modeOf(path).toString(8) }).toEqual({ path, mode: "600" });
    }
  });

  it("tightens a database and companions an older release left 0644", () => {
    const dir = join(root, "spool");
    const spool = open(dir);
    spool.append([event(1)]);
    spool.close();
    const file = spoolFilePath(dir);
    chmodSync(file, 0o644);
    open(dir).append([event(2)]);
    for (const path of [file, `${file}-wal`, `${file}-shm`]) expect(modeOf(path).toString(8)).toBe("600");
  });

  it("refuses a spool directory that is a symbolic link, naming it, unless allowed", () => {
    const real = join(root, "real");
    mkdirSync(real);
    const link = join(root, "link");
    symlinkSync(real, link);
    const error = thrown(() => open(link));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.message).toContain(`The spool directory ${link} is a symbolic link (to ${real})`);
    expect(error.message).toContain("--spool-allow-symlink");
    expect(existsSync(join(real, "spool.db"))).toBe(false);
    open(link, { allowSymlink: true }).append([event(1)]);
    expect(existsSync(join(real, "spool.db"))).toBe(true);
  });

  it("refuses a database file that is a symbolic link, naming it", () => {
    const dir = join(root, "spool");
    const elsewhere = join(root, "elsewhere");
    open(elsewhere).close();
    mkdirSync(dir);
    symlinkSync(spoolFilePath(elsewhere), spoolFilePath(dir));
    const error = thrown(() => open(dir));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.message).toContain(`The spool file ${spoolFilePath(dir)} is a symbolic link`);
  });

  it("refuses a spool truncated to 0 bytes, naming it and the way out, and resets it only when told", () => {
    const dir = join(root, "spool");
    const spool = open(dir);
    spool.append([event(1), event(2)]);
    spool.close();
    const file = spoolFilePath(dir);
    truncateSync(file, 0);
    const error = thrown(() => open(dir));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.message).toContain(`The spool file ${file} is empty (0 bytes)`);
    expect(error.message).toContain("--spool-reset-empty true");
    expect(statSync(file).size).toBe(0);
    expect(open(dir, { resetEmpty: true }).stats()).toEqual({ pending: 0, dead: 0, bytes: 0 });
  });

  it("creates a new spool whole: no empty file is left for the next start to refuse", () => {
    const dir = join(root, "spool");
    open(dir).close();
    expect(statSync(spoolFilePath(dir)).size).toBeGreaterThan(0);
    expect(existsSync(`${spoolFilePath(dir)}.new`)).toBe(false);
    expect(open(dir).stats().pending).toBe(0);
  });
});
