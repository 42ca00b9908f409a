import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** The SQLite result code of a better-sqlite3 error (`SQLITE_FULL`, ...), if it has one. */
function sqliteCode(reason: unknown): string | undefined {
  if (typeof reason !== "object" || reason === null) return undefined;
  const code = (reason as Record<string, unknown>)["code"];
  return typeof code === "string" ? code : undefined;
}

/** What an operator can do about a failure, by its SQLite or errno code. */
function remedy(code: string | undefined): string {
  if (code === undefined) return "Check the spool directory and the disk it is on.";
  if (code.startsWith("SQLITE_FULL") || code === "ENOSPC") {
    return "Free disk space on the spool's volume, or lower the spool bounds.";
  }
  if (
    code.startsWith("SQLITE_READONLY") ||
    code.startsWith("SQLITE_CANTOPEN") ||
    code.startsWith("SQLITE_PERM") ||
    code === "EACCES" ||
    code === "EPERM" ||
    code === "EROFS"
  ) {
    return "Check that the spool directory exists and is writable by the bridge, or point --spool-dir elsewhere.";
  }
  if (code.startsWith("SQLITE_CORRUPT") || code.startsWith("SQLITE_NOTADB")) {
    return "The file is damaged: stop the bridge, move the file away (keep it for inspection) and restart.";
  }
  if (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED")) {
    return "Another process holds the spool locked: stop it, or point --spool-dir elsewhere.";
  }
  if (code.startsWith("SQLITE_IOERR") || code === "EIO") return "The disk reported an I/O error: check the volume.";
  return "Check the spool directory and the disk it is on.";
}

/**
 * Wraps a failure of the spool's storage as `BridgeError(ErrorCode.Spool)` with a message of
 * the form "<what failed> in <file>: <cause>. <what to do>". A BridgeError passes through.
 */
export function spoolFailure(what: string, file: string, reason: unknown): BridgeError {
  if (reason instanceof BridgeError) return reason;
  const cause = reason instanceof Error ? reason.message : String(reason);
  const trimmed = cause.endsWith(".") ? cause.slice(0, -1) : cause;
  return new BridgeError(ErrorCode.Spool, `${what} in ${file}: ${trimmed}. ${remedy(sqliteCode(reason))}`, {
    cause: reason,
  });
}

/** Runs `action` and wraps whatever it throws with {@link spoolFailure}. */
export function guarded<T>(what: string, file: string, action: () => T): T {
  try {
    return action();
  } catch (reason) {
    throw spoolFailure(what, file, reason);
  }
}
