import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/config.js";

/** The built lock module: the children are plain node processes (`npm run build` first). */
const LOCK_MODULE = pathToFileURL(resolve("dist/src/spool/spool-lock.js")).href;

/**
 * A child that says "ready", waits for "go" on stdin, tries to take the lock, says "won" or
 * "lost", and holds what it got until its stdin ends.
 */
const CHILD = `
import { createInterface } from "node:readline";
const { acquireSpoolLock } = await import(process.argv[1]);
const lines = createInterface({ input: process.stdin });
let lock;
lines.on("line", () => {
  try {
    lock = acquireSpoolLock(process.argv[2]);
    console.log("won");
  } catch (error) {
    console.log("lost " + error.message);
  }
});
lines.on("close", () => { lock?.release(); process.exit(0); });
console.log("ready");
`;

interface Racer {
  readonly child: ChildProcessWithoutNullStreams;
  readonly lines: AsyncIterator<string>;
}

function startRacer(dir: string): Racer {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CHILD, LOCK_MODULE, dir]);
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return { child, lines };
}

async function nextLine(racer: Racer): Promise<string> {
  const next = await racer.lines.next();
  if (next.done === true) throw new Error(`racer ${racer.child.pid} ended without a line`);
  return next.value;
}

const running: Racer[] = [];

afterEach(() => {
  for (const racer of running.splice(0)) racer.child.kill();
});

/** Pid 2^22 + 1 is above Linux's pid_max, so no live process has it. */
const DEAD_PID = 2 ** 22 + 1;

describe("the spool lock under a race", () => {
  it("gives a stale lock to exactly one of several processes started together, every trial", async () => {
    const trials = 24;
    const racers = 4;
    const winners: number[] = [];
    for (let trial = 0; trial < trials; trial++) {
      const dir = tempDir("bridge-lock-race-");
      try {
        const stale = `${DEAD_PID}\n${hostname()}\n`;
        // Half the trials: an older release's lock file; half: the empty file a killed holder leaves.
        writeFileSync(join(dir.dir, "spool.lock"), trial % 2 === 0 ? stale : "");
        writeFileSync(join(dir.dir, "spool.lock.owner"), stale);
        const group = Array.from({ length: racers }, () => startRacer(dir.dir));
        running.push(...group);
        for (const racer of group) expect(await nextLine(racer)).toBe("ready");
        for (const racer of group) racer.child.stdin.write("go\n");
        const outcomes = await Promise.all(group.map((racer) => nextLine(racer)));
        winners.push(outcomes.filter((line) => line === "won").length);
        for (const line of outcomes.filter((l) => l !== "won"))
          expect(line).toMatch(/^lost The spool in .* is in use by/);
        await Promise.all(
          group.map(
            (racer) =>
              new Promise<void>((done) => {
                racer.child.once("exit", () => done());
                racer.child.stdin.end();
              }),
          ),
        );
        running.length = 0;
      } finally {
        dir.remove();
      }
    }
    expect(winners).toEqual(Array.from({ length: trials }, () => 1));
    // 96 node processes; each loser waits out the lock (2 s) before it is refused.
  }, 240_000);
});
