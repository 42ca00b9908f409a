import { spawn } from "node:child_process";
import { chmodSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";

/** The built command, as npm's bin link runs it (`npm run build` first). */
const COMMAND = resolve("dist/src/cli/main.js");

/** Starts the command (not `node <file>`), waits for its first line, and returns the node flags it runs with. */
async function nodeFlagsOfCommand(env: NodeJS.ProcessEnv): Promise<string[]> {
  chmodSync(COMMAND, 0o755);
  const child = spawn(COMMAND, ["dev-sidecar", "--listen", "127.0.0.1:0"], {
    env,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  try {
    const first = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
    expect(first.value).toMatch(/^dev-sidecar listening on /);
    const argv = readFileSync(`/proc/${child.pid}/cmdline`, "utf8").split("\0");
    return argv.slice(
      1,
      argv.findIndex((arg) => arg.endsWith("main.js")),
    );
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

describe("the command's own heap cap", () => {
  it("runs node with --max-old-space-size=192", async () => {
    expect(await nodeFlagsOfCommand(process.env)).toEqual(["--max-old-space-size=192"]);
  });
});
