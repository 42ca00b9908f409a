import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { spoolFailure } from "./spool-failure.js";

/** Name of the lock file in the spool directory. */
export const SPOOL_LOCK_FILE = "spool.lock";

/** A held spool lock. */
export interface SpoolLock {
  /** The lock file. */
  readonly file: string;
  /** Removes the lock file; idempotent. */
  release(): void;
}

/** Lock files held by this process, so a second open in the same process is refused too. */
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

/** The holder written in a lock file: `<pid>\n<hostname>\n`. */
function readHolder(file: string): { pid: number; host: string } | undefined {
  try {
    const [pid, host] = readFileSync(file, "utf8").split("\n");
    const parsed = Number(pid);
    return Number.isInteger(parsed) && parsed > 0 ? { pid: parsed, host: host ?? "" } : undefined;
  } catch {
    return undefined;
  }
}

function tryCreate(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, "wx");
  } catch (reason) {
    if ((reason as { code?: unknown }).code === "EEXIST") return false;
    throw spoolFailure("Creating the lock file failed", file, reason);
  }
  try {
    writeSync(fd, `${process.pid}\n${hostname()}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

/**
 * Takes the spool directory's lock file, so one bridge (or one writing CLI command) at a time
 * works on a spool. A lock left by a process that is gone (SIGKILL, crash), by this process id
 * reused in a restarted container, or written on another host is stale and taken over: the
 * check is best effort, meant to catch a second bridge or a `dead-letters replay` beside a
 * running bridge on the same machine. Throws `BridgeError` (code `spool`) when held.
 */
export function acquireSpoolLock(dir: string): SpoolLock {
  const file = join(dir, SPOOL_LOCK_FILE);
  if (heldHere.has(file)) {
    throw new BridgeError(
      ErrorCode.Spool,
      `The spool in ${dir} is already open in this process. Close it first, or point --spool-dir elsewhere.`,
    );
  }
  for (let round = 0; !tryCreate(file); round++) {
    const holder = readHolder(file);
    const live =
      holder !== undefined && holder.host === hostname() && holder.pid !== process.pid && isAlive(holder.pid);
    if (live || round > 0) {
      const who = holder === undefined ? "another process" : `process ${holder.pid} on ${holder.host}`;
      throw new BridgeError(
        ErrorCode.Spool,
        `The spool in ${dir} is in use by ${who} (lock file ${file}). ` +
          `Stop that bridge first, or point --spool-dir elsewhere.`,
      );
    }
    try {
      unlinkSync(file);
    } catch (reason) {
      if ((reason as { code?: unknown }).code !== "ENOENT") {
        throw spoolFailure("Removing a stale lock file failed", file, reason);
      }
    }
  }
  heldHere.add(file);
  let held = true;
  return {
    file,
    release() {
      if (!held) return;
      held = false;
      heldHere.delete(file);
      try {
        unlinkSync(file);
      } catch {
        // Already gone: nothing to release.
      }
    },
  };
}
