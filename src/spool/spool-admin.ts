import { existsSync } from "node:fs";
import type Database from "better-sqlite3";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import {
  countSelection,
  deleteSelection,
  listDeadLetterRows,
  readStatsRow,
  replayDeadLetterRows,
  selectDeadLetters,
  type Where,
} from "./events-table.js";
import { openSpoolDatabase } from "./schema.js";
import { guarded } from "./spool-failure.js";
import { acquireSpoolLock } from "./spool-lock.js";
import { spoolFilePath } from "./sqlite-spool.js";
import type { SpoolStats } from "./spool.js";

// The operator's commands on a spool file (dead-letters list, replay, purge; spool stats). The
// SQL they run is the events table's (events-table.ts).

/**
 * Which dead letters a CLI command acts on. All given conditions must hold. Ages are measured
 * from when the event was parked as a dead letter (`dead_at`).
 */
export interface DeadLetterFilter {
  /** The CloudEvent type: exact, or a prefix when it ends in `*` (`io.dapr.workflows.*`). */
  readonly type?: string;
  /** Only dead letters parked at least this long ago, ms. */
  readonly olderThanMs?: number;
  /** Only dead letters parked at most this long ago, ms. */
  readonly newerThanMs?: number;
  /** At most this many, oldest first. */
  readonly limit?: number;
  /** "Now" for the ages, ms since the epoch. @default Date.now() */
  readonly now?: number;
}

/** One dead letter as `dead-letters list` shows it (without its payload). */
export interface DeadLetterEntry {
  readonly seq: number;
  readonly id: string;
  readonly key: string;
  readonly type: string;
  readonly pubsub: string;
  readonly topic: string;
  readonly format: string;
  /** Payload size, bytes. */
  readonly bytes: number;
  readonly acceptedAt: number;
  readonly deadAt: number;
  readonly attempts: number;
  readonly reason: string;
  readonly error: string;
}

/** {@link SpoolStats} of a spool file, with the ages `spool stats` prints. */
export interface SpoolFileStats extends SpoolStats {
  /** The database file. */
  readonly file: string;
  /** When the oldest pending event was accepted, ms since the epoch; undefined when none. */
  readonly oldestPendingAcceptedAt?: number;
  /** When the oldest dead letter was parked, ms since the epoch; undefined when none. */
  readonly oldestDeadAt?: number;
}

/** Options of {@link purgeDeadLetters}. */
export interface PurgeOptions {
  /** Purging deletes for good; without `confirm: true` the call refuses. */
  readonly confirm: boolean;
}

/** The table's selection of the dead letters a filter names. */
function selection(filter: DeadLetterFilter): Where {
  const { now = Date.now(), ...rest } = filter;
  return selectDeadLetters({ ...rest, now });
}

function withDatabase<T>(dir: string, mode: "read" | "write", action: (db: Database.Database, file: string) => T): T {
  const file = spoolFilePath(dir);
  if (!existsSync(file)) throw new BridgeError(ErrorCode.Spool, `There is no spool at ${file}. Check --spool-dir.`);
  // Writers take the directory's lock: they refuse to run beside a bridge using the spool.
  const lock = mode === "write" ? acquireSpoolLock(dir) : undefined;
  try {
    const db = openSpoolDatabase({ file, create: false, readonly: mode === "read" });
    try {
      return action(db, file);
    } finally {
      db.close();
    }
  } finally {
    lock?.release();
  }
}

/** Lists the dead letters in the spool of `dir` that match, oldest first. Reads only. */
export function listDeadLetters(dir: string, filter: DeadLetterFilter = {}): DeadLetterEntry[] {
  return withDatabase(dir, "read", (db, file) => {
    const rows = guarded("Listing dead letters failed", file, () => listDeadLetterRows(db, selection(filter)));
    return rows.map((row) => ({
      seq: row.seq,
      id: row.id,
      key: row.key,
      type: row.type,
      pubsub: row.pubsub,
      topic: row.topic,
      format: row.format,
      bytes: row.bytes,
      acceptedAt: row.accepted_at,
      deadAt: row.dead_at ?? 0,
      attempts: row.attempts,
      reason: row.reason,
      error: row.error,
    }));
  });
}

/**
 * Moves the matching dead letters back to pending (attempts 0; id, seq, payload and target
 * kept), so the bridge publishes them again on its next start. The parked payload is the
 * dead-letter version (with the `deadletter*` extensions) and its target the dead-letter
 * route, so a replay retries the dead-letter publish. For a stopped bridge: it takes the
 * spool's lock and refuses while a bridge holds it. Returns how many were replayed.
 */
export function replayDeadLetters(dir: string, filter: DeadLetterFilter = {}): number {
  return withDatabase(dir, "write", (db, file) =>
    guarded("Replaying dead letters failed", file, () => replayDeadLetterRows(db, selection(filter))),
  );
}

/**
 * Deletes the matching dead letters for good. Refuses (`BridgeError`, code `invalid_config`)
 * without `confirm: true`, saying how many would go. For a stopped bridge, like
 * {@link replayDeadLetters}. Returns how many were deleted.
 */
export function purgeDeadLetters(dir: string, filter: DeadLetterFilter, options: PurgeOptions): number {
  return withDatabase(dir, "write", (db, file) => {
    const where = selection(filter);
    if (!options.confirm) {
      const count = guarded("Counting dead letters failed", file, () => countSelection(db, where));
      throw new BridgeError(
        ErrorCode.InvalidConfig,
        `Purging deletes ${count} dead letters from ${file} for good. Pass --yes to confirm, ` +
          `or list them first with "dead-letters list".`,
      );
    }
    return guarded("Purging dead letters failed", file, () => deleteSelection(db, where));
  });
}

/** Counts of the spool in `dir`, read from the file (the bridge may be running). */
export function spoolStats(dir: string): SpoolFileStats {
  return withDatabase(dir, "read", (db, file) => {
    const row = guarded("Reading the spool's counts failed", file, () => readStatsRow(db));
    const stats: SpoolFileStats = { file, pending: row?.pending ?? 0, dead: row?.dead ?? 0, bytes: row?.bytes ?? 0 };
    return {
      ...stats,
      ...(row?.oldestPending == null ? {} : { oldestPendingAcceptedAt: row.oldestPending }),
      ...(row?.oldestDead == null ? {} : { oldestDeadAt: row.oldestDead }),
    };
  });
}
