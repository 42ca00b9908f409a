import { closeSync, existsSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import Database from "better-sqlite3";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { companionFiles, SPOOL_FILE_MODE } from "./spool-files.js";
import { guarded, spoolFailure } from "./spool-failure.js";

/**
 * `PRAGMA application_id` of a bridge spool: the bytes "DEBr". A database without it was not
 * made by the bridge and is never touched.
 */
export const SPOOL_APPLICATION_ID = 0x44454272;

/** One forward step of the schema: `up` turns version `version - 1` into `version`. */
export interface Migration {
  /** The schema version this step produces (`PRAGMA user_version` after it). */
  readonly version: number;
  /** What the step does, for errors and logs. */
  readonly description: string;
  /** Applies the step; runs inside the migration transaction. */
  up(db: Database.Database): void;
}

/**
 * The schema's history, oldest first; entry `i` produces version `i + 1`. Append new steps,
 * never edit released ones: files written by older releases replay the steps they lack.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "create the events table",
    up(db) {
      // AUTOINCREMENT: a seq is never reused, even after the newest rows are removed.
      db.exec(`
        CREATE TABLE events (
          seq         INTEGER PRIMARY KEY AUTOINCREMENT,
          id          TEXT    NOT NULL,
          key         TEXT    NOT NULL,
          type        TEXT    NOT NULL,
          pubsub      TEXT    NOT NULL,
          topic       TEXT    NOT NULL,
          format      TEXT    NOT NULL CHECK (format IN ('protobuf', 'json')),
          payload     BLOB    NOT NULL,
          accepted_at INTEGER NOT NULL,
          attempts    INTEGER NOT NULL DEFAULT 0,
          dead_letter INTEGER NOT NULL DEFAULT 0,
          state       TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'dead')),
          dead_reason TEXT,
          dead_error  TEXT,
          dead_at     INTEGER
        );
        CREATE INDEX events_by_state ON events (state, seq);
      `);
    },
  },
  {
    version: 2,
    description:
      "index only dead letters: pending rows are read by seq, and an index on every row doubled the page writes of each insert and delete",
    up(db) {
      db.exec(`
        DROP INDEX events_by_state;
        CREATE INDEX events_dead ON events (seq) WHERE state = 'dead';
      `);
    },
  },
];

/** What {@link inspectSpoolFile} found. */
export type SpoolFileState =
  /** No file at the path. */
  | { readonly kind: "missing" }
  /** An empty file or an SQLite database with no schema: safe to initialise. */
  | { readonly kind: "empty" }
  /** A bridge spool at `version`, which this code can read (possibly after migrating). */
  | { readonly kind: "spool"; readonly version: number };

const MOVE_AWAY = "Move it away or point --spool-dir elsewhere.";

/**
 * Looks at a file through a read-only connection, without changing a byte, and decides
 * whether the bridge may use it. Refuses (`BridgeError`, code `spool`) a file that is not an
 * SQLite database, an SQLite database that is not a bridge spool, and a spool whose schema is
 * newer than `migrations` know.
 */
export function inspectSpoolFile(file: string, migrations: readonly Migration[] = MIGRATIONS): SpoolFileState {
  if (!existsSync(file)) return { kind: "missing" };
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (reason) {
    throw spoolFailure("Opening the spool to inspect it failed", file, reason);
  }
  try {
    let applicationId: number;
    let version: number;
    let objects: number;
    try {
      applicationId = Number(db.pragma("application_id", { simple: true }));
      version = Number(db.pragma("user_version", { simple: true }));
      const row = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_schema").get();
      objects = row?.n ?? 0;
    } catch (reason) {
      const code = (reason as { code?: unknown }).code;
      if (code === "SQLITE_NOTADB") {
        throw new BridgeError(
          ErrorCode.Spool,
          `The spool file ${file} is not an SQLite database, so it is not the bridge's. ${MOVE_AWAY}`,
          { cause: reason },
        );
      }
      throw spoolFailure("Reading the spool's header failed", file, reason);
    }
    if (applicationId === 0 && version === 0 && objects === 0) return { kind: "empty" };
    if (applicationId !== SPOOL_APPLICATION_ID) {
      throw new BridgeError(
        ErrorCode.Spool,
        `The file ${file} is an SQLite database that is not a bridge spool ` +
          `(application_id ${applicationId}, ${objects} schema objects); the bridge leaves it untouched. ${MOVE_AWAY}`,
      );
    }
    const latest = latestVersion(migrations);
    if (version > latest) {
      throw new BridgeError(
        ErrorCode.Spool,
        `The spool ${file} has schema version ${version}, newer than this bridge knows (${latest}): ` +
          `it was written by a newer release. Upgrade the bridge, or point --spool-dir elsewhere.`,
      );
    }
    return { kind: "spool", version };
  } finally {
    db.close();
  }
}

/** Options of {@link openSpoolDatabase}. */
export interface OpenSpoolDatabaseOptions {
  /** Path of the database file. */
  readonly file: string;
  /** Create the file when it is missing; when false a missing file is an error. @default true */
  readonly create?: boolean;
  /** Open read-only: no pragma, no migration, no write. The file must be at the latest version. @default false */
  readonly readonly?: boolean;
  /** `synchronous=FULL` (survives power loss) instead of `NORMAL` (survives process crashes). @default false */
  readonly fsync?: boolean;
  /** The schema history; tests pass their own to exercise migrations. @default MIGRATIONS */
  readonly migrations?: readonly Migration[];
  /**
   * Initialise a spool file of 0 bytes instead of refusing it. The bridge never leaves such a
   * file (see {@link openSpoolDatabase}), so one means the spool was truncated and its pending
   * events are gone; only an operator who accepts that sets this.
   * @default false
   */
  readonly resetEmpty?: boolean;
}

/**
 * Opens a spool database: inspects the file read-only first ({@link inspectSpoolFile}), then
 * opens it, sets WAL mode and the synchronous level, and runs the missing migrations forward
 * in one immediate transaction (all or nothing). A missing file is created whole (0600) before
 * it is opened; a 0-byte file is refused (code `invalid_config`) unless `resetEmpty`. Throws
 * `BridgeError` (code `spool`).
 */
export function openSpoolDatabase(options: OpenSpoolDatabaseOptions): Database.Database {
  const { file } = options;
  const create = options.create ?? true;
  const readonly = options.readonly ?? false;
  const fsync = options.fsync ?? false;
  const migrations = options.migrations ?? MIGRATIONS;
  const latest = latestVersion(migrations);

  let state = inspectSpoolFile(file, migrations);
  if (state.kind === "missing" && (!create || readonly)) {
    throw new BridgeError(ErrorCode.Spool, `There is no spool at ${file}. Check --spool-dir.`);
  }
  if (state.kind === "empty" && statSync(file).size === 0 && options.resetEmpty !== true) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `The spool file ${file} is empty (0 bytes). The bridge never leaves an empty spool, so it was truncated ` +
        `and the events it held are lost. Restore it from a backup, or start with an empty spool by passing ` +
        `--spool-reset-empty true (or moving the file away).`,
    );
  }
  if (state.kind === "missing") {
    createSpoolFile(file, fsync, migrations, latest);
    state = { kind: "spool", version: latest };
  }
  if (readonly) {
    const version = state.kind === "spool" ? state.version : 0;
    if (version !== latest) {
      throw new BridgeError(
        ErrorCode.Spool,
        `The spool ${file} has schema version ${version}; this command reads version ${latest} and does not ` +
          `migrate. Start the bridge once on it (it migrates), then retry.`,
      );
    }
    return guarded("Opening the spool read-only failed", file, () => new Database(file, { readonly: true }));
  }

  const db = guarded("Opening the spool failed", file, () => new Database(file));
  try {
    guarded("Setting up the spool failed", file, () => {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${fsync ? "FULL" : "NORMAL"}`);
    });
    guarded("Migrating the spool failed", file, () => migrate(db, file, migrations, latest));
    return db;
  } catch (reason) {
    db.close();
    throw reason;
  }
}

/**
 * Creates a spool at `file` all at once: a 0600 file beside it is initialised, closed and renamed
 * into place, so a crash during creation leaves no empty or half-made `file` behind (an empty
 * `file` is refused as truncated).
 */
function createSpoolFile(file: string, fsync: boolean, migrations: readonly Migration[], latest: number): void {
  const fresh = `${file}.new`;
  for (const path of [fresh, ...companionFiles(fresh)]) rmSync(path, { force: true });
  guarded("Creating the spool failed", fresh, () => closeSync(openSync(fresh, "wx", SPOOL_FILE_MODE)));
  const db = guarded("Creating the spool failed", fresh, () => new Database(fresh));
  try {
    guarded("Setting up the spool failed", fresh, () => {
      db.pragma("journal_mode = WAL");
      db.pragma(`synchronous = ${fsync ? "FULL" : "NORMAL"}`);
    });
    guarded("Migrating the spool failed", fresh, () => migrate(db, fresh, migrations, latest));
  } finally {
    db.close();
  }
  guarded("Creating the spool failed", file, () => renameSync(fresh, file));
}

/** The version the steps produce; they must be numbered 1, 2, 3, ... in order. */
function latestVersion(migrations: readonly Migration[]): number {
  migrations.forEach((step, index) => {
    if (step.version !== index + 1) {
      throw new BridgeError(
        ErrorCode.Internal,
        `Spool migration ${index} produces version ${step.version}; expected ${index + 1}. Number the steps 1, 2, 3, ...`,
      );
    }
  });
  return migrations.length;
}

function migrate(db: Database.Database, file: string, migrations: readonly Migration[], latest: number): void {
  db.transaction(() => {
    // Read again under the write lock: another process may have initialised the file since inspection.
    const applicationId = Number(db.pragma("application_id", { simple: true }));
    const current = Number(db.pragma("user_version", { simple: true }));
    const objects = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_schema").get()?.n ?? 0;
    if (applicationId !== SPOOL_APPLICATION_ID && (applicationId !== 0 || current !== 0 || objects !== 0)) {
      throw new BridgeError(ErrorCode.Spool, `The file ${file} is not a bridge spool. ${MOVE_AWAY}`);
    }
    if (current > latest) {
      throw new BridgeError(ErrorCode.Spool, `The spool ${file} is newer than this bridge. Upgrade the bridge.`);
    }
    for (const step of migrations) {
      if (step.version <= current) continue;
      try {
        step.up(db);
      } catch (reason) {
        throw spoolFailure(`Migration to version ${step.version} (${step.description}) failed`, file, reason);
      }
    }
    if (current !== latest) db.pragma(`user_version = ${latest}`);
    if (applicationId !== SPOOL_APPLICATION_ID) db.pragma(`application_id = ${SPOOL_APPLICATION_ID}`);
  }).immediate();
}
