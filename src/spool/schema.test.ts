import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { MIGRATIONS, SPOOL_APPLICATION_ID, inspectSpoolFile, openSpoolDatabase, type Migration } from "./schema.js";

/** The schema version this code writes. */
const LATEST = MIGRATIONS.length;
import { SqliteSpool, spoolFilePath } from "./sqlite-spool.js";
import { thrown } from "../../test/helpers/thrown.js";

function hash(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

describe("spool schema", () => {
  let dir: string;
  let file: string;
  const openSpool = (): SqliteSpool => new SqliteSpool({ dir, maxEvents: 10, maxBytes: 1_000 });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "spool-schema-"));
    file = spoolFilePath(dir);
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Asserts that opening refuses the file with a spool error and leaves its bytes alone. A
   * database in WAL mode gets SQLite's companion files from the read-only inspection; they
   * must hold no data (an empty `-wal`).
   */
  function expectRefusedUntouched(pattern: RegExp, walMode = false): BridgeError {
    const before = hash(file);
    const error = thrown(openSpool);
    expect(error.code).toBe(ErrorCode.Spool);
    expect(error.message).toContain(file);
    expect(error.message).toMatch(pattern);
    expect(hash(file)).toBe(before);
    if (walMode) {
      expect(existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0).toBe(0);
    } else {
      // The lock file stays after release (spool-lock.ts): it is never removed.
      expect(readdirSync(dir).filter((name) => name !== "spool.lock")).toEqual(["spool.db"]);
    }
    return error;
  }

  it("initialises a missing file, and an empty one when told to, at the latest version", () => {
    expect(inspectSpoolFile(file)).toEqual({ kind: "missing" });
    openSpool().close();
    expect(inspectSpoolFile(file)).toEqual({ kind: "spool", version: MIGRATIONS.length });

    writeFileSync(join(dir, "other.db"), "");
    expect(inspectSpoolFile(join(dir, "other.db"))).toEqual({ kind: "empty" });
    openSpoolDatabase({ file: join(dir, "other.db"), resetEmpty: true }).close();
    expect(inspectSpoolFile(join(dir, "other.db"))).toEqual({ kind: "spool", version: LATEST });
  });

  it("refuses a 0-byte file (a truncated spool) unless told to reset it, and leaves it alone", () => {
    writeFileSync(file, "");
    const error = thrown(() => openSpoolDatabase({ file }));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.message).toMatch(/is empty \(0 bytes\).*--spool-reset-empty true/);
    expect(statSync(file).size).toBe(0);
    expect(() => openSpoolDatabase({ file, readonly: true })).toThrow(/is empty/);
  });

  it("refuses a file that is not an SQLite database and leaves it untouched", () => {
    writeFileSync(file, Buffer.alloc(8192, "garbage! "));
    expectRefusedUntouched(/is not an SQLite database.*Move it away or point --spool-dir elsewhere/);
  });

  it("refuses an SQLite database that is not the bridge's and leaves it untouched", () => {
    const db = new Database(file);
    db.exec("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders VALUES (1, 9.5)");
    db.close();
    expectRefusedUntouched(/not a bridge spool.*Move it away/);
  });

  it("refuses a spool of a newer schema version and leaves it untouched", () => {
    openSpool().close();
    const db = new Database(file);
    db.pragma("user_version = 99");
    db.close();
    expectRefusedUntouched(
      new RegExp(`schema version 99, newer than this bridge knows \\(${LATEST}\\).*Upgrade the bridge`),
      true,
    );
  });

  it("runs missing migrations forward and records the version", () => {
    openSpool().close();
    const next = LATEST + 1;
    const withNext: Migration[] = [
      ...MIGRATIONS,
      {
        version: next,
        description: "add a note column",
        up: (db) => db.exec("ALTER TABLE events ADD COLUMN note TEXT"),
      },
    ];
    expect(inspectSpoolFile(file, withNext)).toEqual({ kind: "spool", version: LATEST });
    const db = openSpoolDatabase({ file, migrations: withNext });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(next);
      expect(db.pragma("application_id", { simple: true })).toBe(SPOOL_APPLICATION_ID);
      const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('events')").all();
      expect(columns.map((c) => c.name)).toContain("note");
    } finally {
      db.close();
    }
    // Code that only knows the current version now refuses the file.
    expect(() => inspectSpoolFile(file)).toThrow(/newer than this bridge knows/);
  });

  it("migrates a version-1 spool (written by an older bridge) forward, keeping its events", () => {
    const v1 = openSpoolDatabase({ file, migrations: MIGRATIONS.slice(0, 1) });
    v1.prepare(
      "INSERT INTO events (id, key, type, pubsub, topic, format, payload, accepted_at) VALUES ('a', 'k', 't', 'p', 'x', 'json', x'00', 1)",
    ).run();
    v1.close();
    expect(inspectSpoolFile(file)).toEqual({ kind: "spool", version: 1 });
    const db = openSpoolDatabase({ file });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(LATEST);
      expect(db.prepare("SELECT count(*) AS n FROM events").get()).toEqual({ n: 1 });
      const indexes = db.prepare<[], { name: string }>("SELECT name FROM sqlite_schema WHERE type = 'index'").all();
      expect(indexes.map((i) => i.name)).toEqual(["events_dead"]);
    } finally {
      db.close();
    }
  });

  it("rolls a failing migration back entirely", () => {
    openSpool().close();
    const broken: Migration[] = [
      ...MIGRATIONS,
      {
        version: LATEST + 1,
        description: "half done",
        up: (db) => {
          db.exec("CREATE TABLE extra (x)");
          db.exec("THIS IS NOT SQL");
        },
      },
    ];
    const error = thrown(() => openSpoolDatabase({ file, migrations: broken }));
    expect(error.code).toBe(ErrorCode.Spool);
    expect(error.message).toMatch(
      new RegExp(`Migration to version ${LATEST + 1} \\(half done\\) failed in .*spool\\.db`),
    );
    const db = new Database(file, { readonly: true });
    try {
      expect(db.pragma("user_version", { simple: true })).toBe(LATEST);
      expect(db.prepare("SELECT name FROM sqlite_schema WHERE name = 'extra'").get()).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it("refuses migrations that are not numbered 1, 2, 3", () => {
    const gap: Migration[] = [...MIGRATIONS, { version: LATEST + 2, description: "gap", up: () => undefined }];
    expect(() => openSpoolDatabase({ file, migrations: gap })).toThrow(`expected ${LATEST + 1}`);
    expect(existsSync(file)).toBe(false);
  });

  it("opens read-only without creating a missing file", () => {
    expect(() => openSpoolDatabase({ file, readonly: true })).toThrow(/There is no spool at .*Check --spool-dir/);
    expect(() => openSpoolDatabase({ file, create: false })).toThrow(/There is no spool/);
    expect(existsSync(file)).toBe(false);
  });
});
