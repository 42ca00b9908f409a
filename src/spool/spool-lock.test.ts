import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../errors/bridge-error.js";
import { acquireSpoolLock, SPOOL_LOCK_FILE, SPOOL_LOCK_OWNER_FILE, type SpoolLock } from "./spool-lock.js";
import { thrown } from "../../test/helpers/thrown.js";

/** Pid 2^22 + 1 is above Linux's pid_max, so no live process has it. */
const DEAD_PID = 2 ** 22 + 1;

/** A node process that takes the lock through the built module and holds it until killed. */
async function holderProcess(dir: string): Promise<{ pid: number; kill: (signal: NodeJS.Signals) => Promise<void> }> {
  const module = pathToFileURL(resolve("dist/src/spool/spool-lock.js")).href;
  // The holder drops the returned lock and collects garbage: the lock must outlive its handle.
  const script = `const { acquireSpoolLock } = await import(process.argv[1]); acquireSpoolLock(process.argv[2]);
    globalThis.gc(); await new Promise((done) => setImmediate(done)); globalThis.gc();
    console.log("held"); setInterval(() => undefined, 1 << 30);`;
  const child = spawn(process.execPath, ["--expose-gc", "--input-type=module", "-e", script, module, dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  expect(first.value).toBe("held");
  return {
    pid: child.pid ?? 0,
    kill: async (signal) => {
      child.kill(signal);
      await exited;
    },
  };
}

describe("acquireSpoolLock", () => {
  let dir: string;
  const held: SpoolLock[] = [];
  const take = (): SpoolLock => {
    const lock = acquireSpoolLock(dir);
    held.push(lock);
    return lock;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "bridge-lock-"));
  });

  afterEach(() => {
    for (const lock of held.splice(0)) lock.release();
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a second acquire in the same process until the first is released", () => {
    const lock = take();
    expect(thrown(() => acquireSpoolLock(dir)).message).toMatch(/already open in this process/);
    lock.release();
    lock.release();
    take();
  });

  it("creates the lock file 0600, keeps it after release, and names its holder while held", () => {
    const lock = take();
    expect(statSync(lock.file).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, SPOOL_LOCK_OWNER_FILE), "utf8")).toBe(`${process.pid}\n${hostname()}\n`);
    lock.release();
    expect(existsSync(lock.file)).toBe(true);
    expect(existsSync(join(dir, SPOOL_LOCK_OWNER_FILE))).toBe(false);
  });

  it("refuses a lock held by another process, naming it, and takes it once that process is killed", async () => {
    const holder = await holderProcess(dir);
    try {
      const error = thrown(() => acquireSpoolLock(dir));
      expect(error.code).toBe(ErrorCode.Spool);
      expect(error.message).toMatch(
        new RegExp(`in use by process ${holder.pid} on .*lock file .*spool\\.lock.*Stop that bridge first`),
      );
    } finally {
      // SIGKILL: no cleanup runs; the kernel drops the lock with the process.
      await holder.kill("SIGKILL");
    }
    take();
  });

  it("takes over an older release's lock file whose process is gone", () => {
    writeFileSync(join(dir, SPOOL_LOCK_FILE), `${DEAD_PID}\n${hostname()}\n`);
    take();
    expect(statSync(join(dir, SPOOL_LOCK_FILE)).size).toBe(0);
  });

  it("refuses an older release's lock file whose process is alive, and leaves it", () => {
    const legacy = `${process.ppid}\n${hostname()}\n`;
    writeFileSync(join(dir, SPOOL_LOCK_FILE), legacy);
    const error = thrown(() => acquireSpoolLock(dir));
    expect(error.message).toMatch(new RegExp(`in use by process ${process.ppid} `));
    expect(readFileSync(join(dir, SPOOL_LOCK_FILE), "utf8")).toBe(legacy);
  });

  it("reports a directory that does not exist as a spool error naming the lock file", () => {
    const error = thrown(() => acquireSpoolLock(join(dir, "missing")));
    expect(error.code).toBe(ErrorCode.Spool);
    expect(error.message).toContain(join(dir, "missing", SPOOL_LOCK_FILE));
  });
});
