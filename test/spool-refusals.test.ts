import { spawnSync } from "node:child_process";
import { mkdirSync, symlinkSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { SqliteSpool, spoolFilePath } from "../src/spool/sqlite-spool.js";
import { BRIDGE_MAIN } from "./helpers/bridge-process.js";
import { tempDir } from "./helpers/config.js";

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Runs `dapr-event-bridge run` on `spoolDir`, expecting it to refuse before it listens. */
function runRefused(spoolDir: string): { status: number | null; stderr: string } {
  const result = spawnSync(
    process.execPath,
    [
      BRIDGE_MAIN,
      "run",
      "--spool-dir",
      spoolDir,
      "--listen",
      "127.0.0.1:0",
      "--metrics-listen",
      "",
      "--log-level",
      "silent",
    ],
    { encoding: "utf8", timeout: 30_000 },
  );
  return { status: result.status, stderr: result.stderr };
}

describe("dapr-event-bridge run refuses a spool the operator must decide about (exit code 2)", () => {
  it("a spool truncated to 0 bytes", () => {
    const dir = tempDir("bridge-truncated-");
    cleanups.push(dir.remove);
    const spool = new SqliteSpool({ dir: dir.dir, maxEvents: 10, maxBytes: 10_000 });
    spool.close();
    truncateSync(spoolFilePath(dir.dir), 0);
    const { status, stderr } = runRefused(dir.dir);
    expect(stderr).toContain(`The spool file ${spoolFilePath(dir.dir)} is empty (0 bytes)`);
    expect(stderr).toContain("--spool-reset-empty true");
    expect(status).toBe(2);
  });

  it("a spool directory that is a symbolic link", () => {
    const dir = tempDir("bridge-symlink-");
    cleanups.push(dir.remove);
    mkdirSync(join(dir.dir, "real"));
    symlinkSync(join(dir.dir, "real"), join(dir.dir, "link"));
    const { status, stderr } = runRefused(join(dir.dir, "link"));
    expect(stderr).toContain(`The spool directory ${join(dir.dir, "link")} is a symbolic link`);
    expect(status).toBe(2);
  });
});
