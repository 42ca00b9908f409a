import {
  chmodSync,
  closeSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { spoolFailure } from "./spool-failure.js";

/** Name of the lock file in the spool directory. */
export const SPOOL_LOCK_FILE = "spool.lock";

/** Name of the file that says who holds the lock: `<pid>\n<hostname>\n`, for messages only. */
export const SPOOL_LOCK_OWNER_FILE = "spool.lock.owner";

/** A held spool lock. */
export interface SpoolLock {
  /** The lock file. */
  readonly file: string;
  /** Releases the lock; idempotent. The lock file stays (see {@link acquireSpoolLock}). */
  release(): void;
}

/**
 * How long taking the lock keeps trying while another process holds it or takes it at the same
 * moment, ms: long enough for a loaded machine to finish the other process's attempt; a lock
 * still held after it is refused.
 */
const LOCK_CONTENTION_WAIT_MS = 2_000;

/** SQLite's own busy wait within one attempt, ms. */
const LOCK_ATTEMPT_BUSY_MS = 100;

/**
 * The connections holding this process's locks, by lock file: a second open in the same process
 * gets a clear message, and a caller that drops the returned {@link SpoolLock} does not let the
 * garbage collector close the connection, which would release the lock with the process alive.
 */
const heldHere = new Map<string, Database.Database>();

/** Blocks the thread for `ms`: taking the lock happens once, at start, before anything is served. */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function isBusy(reason: unknown): boolean {
  return (reason as { code?: unknown }).code === "SQLITE_BUSY";
}

/**
 * One attempt at the exclusive lock: SQLite climbs its lock ladder (SHARED, RESERVED, EXCLUSIVE),
 * and two processes climbing it side by side can both give up. A failed attempt closes its
 * connection, so it holds nothing while the next one waits.
 */
function tryLock(file: string): Database.Database {
  const db = new Database(file, { timeout: LOCK_ATTEMPT_BUSY_MS });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
    return db;
  } catch (reason) {
    db.close();
    throw reason;
  }
}

/**
 * Attempts until one succeeds or {@link LOCK_CONTENTION_WAIT_MS} has passed, pausing a random
 * 5–30 ms between attempts so that racing processes fall out of step and one of them wins.
 */
function lockWithin(file: string): Database.Database {
  const deadline = Date.now() + LOCK_CONTENTION_WAIT_MS;
  for (;;) {
    try {
      return tryLock(file);
    } catch (reason) {
      if (!isBusy(reason) || Date.now() >= deadline) throw reason;
    }
    pause(5 + Math.floor(Math.random() * 25));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (reason) {
    // EPERM: the process exists but belongs to someone else.
    return (reason as { code?: unknown }).code === "EPERM";
  }
}

/** A holder written as `<pid>\n<hostname>\n`, or undefined when the text is not one. */
function readHolder(file: string): { pid: number; host: string } | undefined {
  try {
    const [pid, host] = readFileSync(file, "utf8").split("\n");
    const parsed = Number(pid);
    return Number.isInteger(parsed) && parsed > 0 ? { pid: parsed, host: host ?? "" } : undefined;
  } catch {
    return undefined;
  }
}

function inUse(dir: string, file: string, who: string): BridgeError {
  return new BridgeError(
    ErrorCode.Spool,
    `The spool in ${dir} is in use by ${who} (lock file ${file}). Stop that bridge first, or point --spool-dir elsewhere.`,
  );
}

/**
 * Older releases wrote `<pid>\n<host>\n` into the lock file and took it over when that process
 * was gone. Such a file is not a database, so SQLite cannot lock it: a live holder on this
 * host refuses the open; a stale one is emptied. Emptying never breaks a lock taken by this
 * code, which never writes into the file; so two processes emptying it at once is harmless.
 */
function clearLegacyLock(dir: string, file: string): void {
  if (statSync(file, { throwIfNoEntry: false })?.size === 0) return;
  const holder = readHolder(file);
  if (holder === undefined) return;
  if (holder.host === hostname() && holder.pid !== process.pid && isAlive(holder.pid)) {
    throw inUse(dir, file, `process ${holder.pid} on ${holder.host}`);
  }
  truncateSync(file, 0);
}

/**
 * Takes the spool directory's lock, so one bridge (or one writing CLI command) at a time works
 * on a spool. The lock is an exclusive POSIX record lock (`fcntl`) on the empty file
 * `spool.lock`, taken through SQLite (`locking_mode=EXCLUSIVE`, `BEGIN EXCLUSIVE`): the kernel
 * grants it to exactly one process and drops it when that process exits, however it exits. A
 * lock file left by a crash is therefore never "stale", and there is no read-check-replace
 * sequence to race on. The file is never removed: removing a lock file that another process
 * has open is what lets two processes each lock a different file. `spool.lock.owner` names
 * the holder for messages; it plays no part in the exclusion. Like SQLite's own locking, this
 * holds on local file systems, not on every network file system.
 * Throws `BridgeError` (code `spool`) when held.
 */
export function acquireSpoolLock(dir: string): SpoolLock {
  const file = join(dir, SPOOL_LOCK_FILE);
  const ownerFile = join(dir, SPOOL_LOCK_OWNER_FILE);
  if (heldHere.has(file)) {
    throw new BridgeError(
      ErrorCode.Spool,
      `The spool in ${dir} is already open in this process. Close it first, or point --spool-dir elsewhere.`,
    );
  }
  let db: Database.Database;
  try {
    // Created 0600 here rather than by SQLite, which would use 0644 under the usual umask.
    closeSync(openSync(file, "a", 0o600));
    chmodSync(file, 0o600);
    clearLegacyLock(dir, file);
    db = lockWithin(file);
  } catch (reason) {
    if (reason instanceof BridgeError) throw reason;
    if (isBusy(reason)) {
      const holder = readHolder(ownerFile);
      throw inUse(dir, file, holder === undefined ? "another process" : `process ${holder.pid} on ${holder.host}`);
    }
    throw spoolFailure("Taking the spool's lock failed", file, reason);
  }
  const lockDb = db;
  heldHere.set(file, lockDb);
  try {
    writeFileSync(ownerFile, `${process.pid}\n${hostname()}\n`, { mode: 0o600 });
  } catch {
    // Only messages use it.
  }
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(file);
      // The owner file goes first: once the lock is released the next holder writes its own.
      try {
        unlinkSync(ownerFile);
      } catch {
        // Already gone.
      }
      lockDb.close();
    },
  };
}
