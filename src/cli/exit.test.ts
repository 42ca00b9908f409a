import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { acquireSpoolLock } from "../spool/spool-lock.js";
import { exitCodeFor } from "./exit.js";

// Issue 12 item 11: spool errors exited 1 while the README says configuration mistakes exit 2.

const MAIN = resolve(import.meta.dirname, "../../dist/src/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "bridge-exit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runBridge(spoolDir: string): { status: number | null; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [MAIN, "run", "--spool-dir", spoolDir, "--listen", "127.0.0.1:0", "--metrics-listen", ""],
    {
      encoding: "utf8",
      timeout: 20_000,
    },
  );
  return { status: result.status, stderr: result.stderr };
}

describe("exit codes", () => {
  it("exits 2 when the spool directory holds a database that is not a bridge spool", () => {
    const spoolDir = mkdtempSync(join(dir, "foreign-"));
    const other = new Database(join(spoolDir, "spool.db"));
    other.exec("CREATE TABLE accounts (id INTEGER)");
    other.close();
    const result = runBridge(spoolDir);
    expect(result.stderr).toContain("is not a bridge spool");
    expect(result.status).toBe(2);
  });

  it("decides by the failure: setup mistakes 2, faults of a running system 1", () => {
    const lockDir = mkdtempSync(join(dir, "lock-"));
    const lock = acquireSpoolLock(lockDir);
    try {
      const inUse = (() => {
        try {
          acquireSpoolLock(lockDir);
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      expect(inUse).toBeInstanceOf(BridgeError);
      expect(exitCodeFor(inUse)).toBe(2);
    } finally {
      lock.release();
    }
    expect(exitCodeFor(new BridgeError(ErrorCode.InvalidConfig, "bad flag"))).toBe(2);
    const denied = Object.assign(new Error("unable to open database file"), { code: "SQLITE_CANTOPEN" });
    expect(exitCodeFor(new BridgeError(ErrorCode.Spool, "opening", { cause: denied }))).toBe(2);
    const damaged = Object.assign(new Error("database disk image is malformed"), { code: "SQLITE_CORRUPT" });
    expect(exitCodeFor(new BridgeError(ErrorCode.Spool, "reading", { cause: damaged }))).toBe(1);
    const full = Object.assign(new Error("database or disk is full"), { code: "SQLITE_FULL" });
    expect(exitCodeFor(new BridgeError(ErrorCode.Spool, "writing", { cause: full }))).toBe(1);
    expect(exitCodeFor(new BridgeError(ErrorCode.Internal, "bug"))).toBe(1);
  });
});
