import { chmodSync, lstatSync, mkdirSync, readlinkSync } from "node:fs";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { guarded } from "./spool-failure.js";

/** Mode of a spool directory the bridge creates: only its user can list or enter it. */
export const SPOOL_DIR_MODE = 0o700;

/** Mode of the spool's files (database, `-wal`, `-shm`, lock): they hold full event payloads. */
export const SPOOL_FILE_MODE = 0o600;

/** The files SQLite keeps beside a database in WAL mode. */
export function companionFiles(file: string): readonly string[] {
  return [`${file}-wal`, `${file}-shm`];
}

/**
 * Refuses `path` when it is a symbolic link, unless `allow`: a link in the spool's place can
 * send the event payloads (and the lock) somewhere the operator did not choose. Throws
 * `BridgeError` (code `invalid_config`: the operator decides) naming the path and its target.
 */
export function refuseSymlink(path: string, what: string, allow: boolean): void {
  if (allow) return;
  let isLink: boolean;
  try {
    isLink = lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink() === true;
  } catch {
    // ENOTDIR, EACCES, ...: the step that creates or opens the path reports it.
    return;
  }
  if (!isLink) return;
  let target = "an unreadable target";
  try {
    target = readlinkSync(path);
  } catch {
    // The message still names the link.
  }
  throw new BridgeError(
    ErrorCode.InvalidConfig,
    `The ${what} ${path} is a symbolic link (to ${target}); the bridge refuses it. ` +
      `Point --spool-dir at the real directory, or pass --spool-allow-symlink true if the link is intended.`,
  );
}

/**
 * Creates the spool directory (and missing parents) with mode 0700 (an existing directory keeps
 * its mode: the files in it are 0600). Refuses a directory that is a symbolic link unless
 * `allowSymlink`.
 */
export function makeSpoolDir(dir: string, allowSymlink: boolean): void {
  refuseSymlink(dir, "spool directory", allowSymlink);
  guarded("Creating the spool directory failed", dir, () => mkdirSync(dir, { recursive: true, mode: SPOOL_DIR_MODE }));
}

/**
 * Sets the database and its companions to 0600. SQLite creates `-wal` and `-shm` with the mode
 * of the database, so files created later inherit it; this covers files an older release (or
 * another umask) left readable.
 */
export function restrictSpoolFiles(file: string): void {
  for (const path of [file, ...companionFiles(file)]) {
    if (lstatSync(path, { throwIfNoEntry: false })?.isFile() !== true) continue;
    guarded("Restricting the spool file's permissions failed", path, () => chmodSync(path, SPOOL_FILE_MODE));
  }
}
