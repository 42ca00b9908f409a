import { join } from "node:path";
import type Database from "better-sqlite3";
import type { EventFormat } from "../cloudevents/record.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { prepareStatements, type EventRow, type Statements } from "./events-table.js";
import { openSpoolDatabase } from "./schema.js";
import { SpoolCounts, validateSpoolBounds } from "./spool-bounds.js";
import { guarded, spoolFailure } from "./spool-failure.js";
import { companionFiles, makeSpoolDir, refuseSymlink, restrictSpoolFiles } from "./spool-files.js";
import { acquireSpoolLock, SPOOL_LOCK_FILE, type SpoolLock } from "./spool-lock.js";
import {
  spooledFrom,
  type DeadLetterUpdate,
  type OutboundEvent,
  type Spool,
  type SpooledEvent,
  type SpoolStats,
} from "./spool.js";

/** Name of the database file in the spool directory. */
export const SPOOL_FILE_NAME = "spool.db";

/** The database file of the spool in `dir`. */
export function spoolFilePath(dir: string): string {
  return join(dir, SPOOL_FILE_NAME);
}

/** Options of a {@link SqliteSpool}. */
export interface SqliteSpoolOptions {
  /** The spool directory; created when missing. The database is `<dir>/spool.db`. */
  readonly dir: string;
  /** Pending events at which `hasRoom()` turns false. */
  readonly maxEvents: number;
  /** Payload bytes held (pending and dead) at which `hasRoom()` turns false. */
  readonly maxBytes: number;
  /**
   * `synchronous=FULL`: every commit is fsynced, so a power loss loses nothing committed. With
   * the default (`NORMAL` in WAL mode) a process crash or SIGKILL loses nothing committed, but a
   * power loss or kernel crash can lose the last commits before the next WAL checkpoint.
   * @default false
   */
  readonly fsync?: boolean;
  /** Clock for `dead_at`, ms since the epoch. @default Date.now */
  readonly now?: () => number;
  /**
   * Caps the database at this many pages (SQLite `max_page_count`, pages of 4 KiB): a commit
   * that needs more fails with SQLITE_FULL, as on a full disk. For tests of that condition.
   * @default no cap beyond SQLite's own
   */
  readonly maxPageCount?: number;
  /**
   * Initialise a 0-byte `spool.db` instead of refusing it as truncated (its events are lost).
   * @default false
   */
  readonly resetEmpty?: boolean;
  /**
   * Accept a spool directory, database or lock file that is a symbolic link.
   * @default false
   */
  readonly allowSymlink?: boolean;
}

/** Payload of the row {@link SqliteSpool.checkWritable} writes and removes. */
const PROBE_PAYLOAD = new Uint8Array(64 * 1024);

/** Turns a row into a SpooledEvent; throws on a row no bridge could have written. */
function toSpooledEvent(row: EventRow, file: string): SpooledEvent {
  const format = row.format;
  if (format !== "protobuf" && format !== "json") {
    throw new BridgeError(ErrorCode.Spool, `Row ${row.seq} in ${file} has format "${format}". The file is damaged.`);
  }
  // Through spooledFrom, so events read back have the same object shape as appended ones.
  const event: OutboundEvent = {
    id: row.id,
    key: row.key,
    type: row.type,
    pubsub: row.pubsub,
    topic: row.topic,
    format: format satisfies EventFormat,
    payload: row.payload,
    acceptedAt: row.accepted_at,
    deadLetter: row.dead_letter !== 0,
  };
  return spooledFrom(event, row.seq, row.attempts);
}

/**
 * The durable spool: an SQLite database in WAL mode at `<dir>/spool.db`, used by one bridge
 * at a time (a lock file guards the directory). Every write method commits its whole batch in
 * one transaction (group commit). Counts are kept in memory, initialised from the file at open.
 * Methods are synchronous; a failure throws `BridgeError` (code `spool`) naming the file.
 */
export class SqliteSpool implements Spool {
  /** The database file. */
  readonly file: string;
  readonly #db: Database.Database;
  readonly #lock: SpoolLock;
  readonly #statements: Statements;
  readonly #counts: SpoolCounts;
  readonly #now: () => number;
  /** Every pending row under this seq is removed (see removePublished): the next range starts here. */
  #removedBelow = 0;
  #closed = false;

  constructor(options: SqliteSpoolOptions) {
    const bounds = validateSpoolBounds(options);
    this.file = spoolFilePath(options.dir);
    this.#now = options.now ?? Date.now;
    const allowSymlink = options.allowSymlink ?? false;
    makeSpoolDir(options.dir, allowSymlink);
    for (const path of [join(options.dir, SPOOL_LOCK_FILE), this.file, ...companionFiles(this.file)]) {
      refuseSymlink(path, "spool file", allowSymlink);
    }
    this.#lock = acquireSpoolLock(options.dir);
    let db: Database.Database | undefined;
    try {
      db = openSpoolDatabase({
        file: this.file,
        fsync: options.fsync ?? false,
        resetEmpty: options.resetEmpty ?? false,
      });
      restrictSpoolFiles(this.file);
      const opened = db;
      const { maxPageCount } = options;
      if (maxPageCount !== undefined)
        guarded("Capping the spool's size failed", this.file, () =>
          opened.pragma(`max_page_count = ${Math.floor(maxPageCount)}`),
        );
      this.#db = opened;
      this.#statements = guarded("Preparing the spool's statements failed", this.file, () => prepareStatements(opened));
      this.#counts = new SpoolCounts(bounds);
      for (const row of this.#statements.counts.all()) {
        if (row.state === "dead") this.#counts.dead = row.n;
        else this.#counts.pending = row.n;
        this.#counts.bytes += row.bytes;
      }
    } catch (reason) {
      db?.close();
      this.#lock.release();
      throw spoolFailure("Opening the spool failed", this.file, reason);
    }
  }

  append(events: readonly OutboundEvent[]): SpooledEvent[] {
    const statements = this.#open();
    if (events.length === 0) return [];
    const spooled = guarded(`Writing ${events.length} events failed`, this.file, () =>
      this.#db.transaction(() =>
        events.map((event): SpooledEvent => {
          const { lastInsertRowid } = statements.insert.run(
            event.id,
            event.key,
            event.type,
            event.pubsub,
            event.topic,
            event.format,
            event.payload,
            event.acceptedAt,
            event.deadLetter === true ? 1 : 0,
          );
          return spooledFrom(event, Number(lastInsertRowid));
        }),
      )(),
    );
    this.#counts.pending += spooled.length;
    for (const event of events) this.#counts.bytes += event.payload.byteLength;
    return spooled;
  }

  readPending(afterSeq: number, limit: number): SpooledEvent[] {
    const statements = this.#open();
    // SQLite reads a negative LIMIT as "no limit"; the contract says at most `limit`.
    if (limit <= 0) return [];
    const rows = guarded("Reading pending events failed", this.file, () => statements.readPending.all(afterSeq, limit));
    return rows.map((row) => toSpooledEvent(row, this.file));
  }

  remove(seqs: readonly number[]): void {
    const statements = this.#open();
    if (seqs.length === 0) return;
    const removed = guarded(`Removing ${seqs.length} published events failed`, this.file, () =>
      // One statement for the whole batch: the seqs travel as one JSON array.
      statements.remove.all(JSON.stringify(seqs)),
    );
    for (const row of removed) {
      if (row === undefined) continue;
      if (row.state === "dead") this.#counts.dead--;
      else this.#counts.pending--;
      this.#counts.bytes -= row.bytes;
    }
  }

  removePublished(below: number, seqs: readonly number[]): void {
    const statements = this.#open();
    const from = this.#removedBelow;
    if (below <= from && seqs.length === 0) return;
    const { range, rows } = guarded(
      `Removing published events (below ${below}, ${seqs.length} more) failed`,
      this.file,
      () =>
        this.#db.transaction(() => {
          let range = { n: 0, bytes: 0 };
          if (below > from) {
            range = statements.rangeCounts.get(from, below) ?? range;
            statements.removeRange.run(from, below);
          }
          return { range, rows: seqs.length === 0 ? [] : statements.remove.all(JSON.stringify(seqs)) };
        })(),
    );
    if (below > from) this.#removedBelow = below;
    this.#counts.pending -= range.n;
    this.#counts.bytes -= range.bytes;
    for (const row of rows) {
      if (row.state === "dead") this.#counts.dead--;
      else this.#counts.pending--;
      this.#counts.bytes -= row.bytes;
    }
  }

  recordAttempts(updates: ReadonlyArray<{ readonly seq: number; readonly attempts: number }>): void {
    const statements = this.#open();
    if (updates.length === 0) return;
    guarded(`Recording attempts of ${updates.length} events failed`, this.file, () =>
      this.#db.transaction(() => {
        for (const { seq, attempts } of updates) statements.setAttempts.run(attempts, seq);
      })(),
    );
  }

  markDead(updates: readonly DeadLetterUpdate[]): void {
    const statements = this.#open();
    if (updates.length === 0) return;
    const deadAt = this.#now();
    const changes = guarded(`Parking ${updates.length} dead letters failed`, this.file, () =>
      this.#db.transaction(() =>
        updates.map((update) => {
          const before = statements.current.get(update.seq);
          if (before === undefined) return undefined;
          statements.markDead.run(
            update.payload,
            update.pubsub,
            update.topic,
            update.reason,
            update.error,
            update.attempts,
            deadAt,
            update.seq,
          );
          return { before, bytes: update.payload.byteLength };
        }),
      )(),
    );
    for (const change of changes) {
      if (change === undefined) continue;
      if (change.before.state !== "dead") {
        this.#counts.pending--;
        this.#counts.dead++;
      }
      this.#counts.bytes += change.bytes - change.before.bytes;
    }
  }

  stats(): SpoolStats {
    this.#open();
    return this.#counts.snapshot();
  }

  hasRoom(): boolean {
    this.#open();
    return this.#counts.hasRoom();
  }

  /**
   * Inserts a row with a 64 KiB payload and deletes it in one committed transaction: it needs
   * new pages (or WAL space) as a batch of events would, so it fails while the disk or the
   * database is full, and leaves nothing behind (the counts are unchanged).
   */
  checkWritable(): void {
    const statements = this.#open();
    guarded("Checking that the spool can commit failed", this.file, () =>
      this.#db.transaction(() => {
        const { lastInsertRowid } = statements.insert.run("probe", "", "", "", "", "protobuf", PROBE_PAYLOAD, 0, 0);
        statements.remove.all(JSON.stringify([Number(lastInsertRowid)]));
      })(),
    );
  }

  /** Closes the database and releases the directory's lock. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#db.close();
    } finally {
      this.#lock.release();
    }
  }

  #open(): Statements {
    if (this.#closed) {
      throw new BridgeError(ErrorCode.Spool, `The spool ${this.file} is closed. Open a new SqliteSpool to use it.`);
    }
    return this.#statements;
  }
}
