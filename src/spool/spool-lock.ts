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
 * How long taking the lock waits out another process taking it at the same moment, ms: long
 * enough for a loaded machine to finish the other process's attempt; a held lock is refused after it.
 */
const LOCK_CONTENTION_WAIT_MS = 1_000;

/** Attempts at the lock while it is busy and no live holder is named (see acquireSpoolLock). */
const LOCK_ATTEMPTS = 3;

/** Lock files held by this process, so a second open in the same process gets a clear message. */
const heldHere = new Set<string>();

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

/** Whether the owner file names a process that may hold the lock: another host's, or one alive here. */
function namesLiveHolder(holder: { pid: number; host: string } | undefined): boolean {
  if (holder === undefined) return false;
  return holder.host !== hostname() || (holder.pid !== process.pid && isAlive(holder.pid));
}

/** One attempt at the lock: the SQLite connection that holds it. Throws SQLite's error (SQLITE_BUSY when held). */
function takeLock(dir: string, file: string): Database.Database {
  // Created 0600 here rather than by SQLite, which would use 0644 under the usual umask.
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
  clearLegacyLock(dir, file);
  // A busy wait, not none: two processes taking the lock at once climb SQLite's lock
  // ladder (SHARED, RESERVED, EXCLUSIVE) side by side, and without a wait both can give up,
  // leaving no holder. With one, SQLite makes the one holding only SHARED back off.
  const db = new Database(file, { timeout: LOCK_CONTENTION_WAIT_MS });
  try {
    db.pragma("locking_mode = EXCLUSIVE");
    db.exec("BEGIN EXCLUSIVE");
  } catch (reason) {
    db.close();
    throw reason;
  }
  return db;
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
  let db: Database.Database | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      db = takeLock(dir, file);
      break;
    } catch (reason) {
      if (reason instanceof BridgeError) throw reason;
      if ((reason as { code?: unknown }).code !== "SQLITE_BUSY")
        throw spoolFailure("Taking the spool's lock failed", file, reason);
      const holder = readHolder(ownerFile);
      // Busy with no live holder named: processes taking the lock at the same moment all gave
      // up (a loaded machine can stall one past the busy wait). Try again; a named live holder
      // (or the last attempt) is a refusal.
      if (attempt < LOCK_ATTEMPTS && !namesLiveHolder(holder)) continue;
      throw inUse(dir, file, holder === undefined ? "another process" : `process ${holder.pid} on ${holder.host}`);
    }
  }
  const lockDb = db;
  heldHere.add(file);
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
