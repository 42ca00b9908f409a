import { execFile, spawn } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Monitor } from "../../src/monitor/monitor.js";
import { BRIDGE_MAIN } from "../helpers/bridge-process.js";
import { tempDir } from "../helpers/config.js";
import { waitUntil } from "../helpers/pipeline.js";
import { daprBody, wf } from "./events.js";

const run = promisify(execFile);

/** What a failed run gives: the exit code and standard error. */
async function failure(args: string[]): Promise<{ code: number; stderr: string }> {
  try {
    await run(process.execPath, [BRIDGE_MAIN, ...args]);
  } catch (error) {
    const { code, stderr } = error as { code: number; stderr: string };
    return { code, stderr };
  }
  throw new Error(`dapr-event-bridge ${args.join(" ")} succeeded`);
}
const NOW = Date.now();
let monitor: Monitor;
let url: string;

beforeAll(async () => {
  monitor = new Monitor({ listen: "127.0.0.1:0", db: ":memory:" });
  url = (await monitor.start()).url;
  for (const event of [
    wf.started("q1", "pay-1", NOW - 3000),
    wf.failed("q2", "pay-1", NOW - 2000),
    wf.started("q3", "pay-2", NOW - 1000),
    wf.started("q4", "ord-1", NOW - 500, { name: "OrderWorkflow" }),
    wf.failed("q5", "ord-1", NOW - 400, { name: "OrderWorkflow" }),
  ]) {
    await fetch(`${url}/events`, { method: "POST", body: daprBody(event) });
  }
});

afterAll(async () => {
  await monitor.close();
});

describe("dapr-event-bridge monitor (CLI)", () => {
  it("query prints the failed instances of a workflow as a table", async () => {
    const { stdout } = await run(process.execPath, [
      BRIDGE_MAIN,
      "monitor",
      "query",
      "--status",
      "failed",
      "--name",
      "PaymentWorkflow",
      "--since",
      "1h",
      "--url",
      url,
    ]);
    const lines = stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^INSTANCE\s+APP\s+NAME\s+STATUS\s+CREATED\s+UPDATED\s+FAILURE$/);
    expect(lines[1]).toMatch(/^pay-1\s+orders\s+PaymentWorkflow\s+FAILED\s+\S+\s+\S+\s+CardDeclined: card declined$/);
    expect(lines.slice(2)).toEqual(["1 of 1"]);
  });

  it("query --json prints the API's answer", async () => {
    const { stdout } = await run(process.execPath, [
      BRIDGE_MAIN,
      "monitor",
      "query",
      "--status",
      "FAILED",
      "--json",
      "--url",
      url,
    ]);
    const body = JSON.parse(stdout) as { instances: Array<{ instanceId: string }>; total: number };
    expect(body.total).toBe(2);
    expect(body.instances.map((i) => i.instanceId)).toEqual(["ord-1", "pay-1"]);
  });

  it("query names a bad status, and says when no monitor answers", async () => {
    const bad = await failure(["monitor", "query", "--status", "DONE", "--url", url]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/status: expected one of PENDING, RUNNING/);
    const down = await failure(["monitor", "query", "--url", "http://127.0.0.1:1"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/cannot reach the monitor at http:\/\/127\.0\.0\.1:1/);
  });

  it("monitor refuses a bad flag, naming it and what to do", async () => {
    const bad = await failure(["monitor", "--retention", "a week"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--retention: expected a duration like "30m", "24h" or "168h", got "a week"/);
    const listen = await failure(["monitor", "--listen", "localhost"]);
    expect(listen.code).toBe(2);
    expect(listen.stderr).toMatch(/monitor --listen: expected HOST:PORT/);
  });

  it("monitor runs as a process until SIGTERM, serving health and its subscription", async () => {
    const dir = tempDir("monitor-cli-");
    const child = spawn(
      process.execPath,
      [BRIDGE_MAIN, "monitor", "--listen", "127.0.0.1:0", "--db", `${dir.dir}/m.sqlite`],
      {
        env: { ...process.env, APP_API_TOKEN: "" },
      },
    );
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await waitUntil(() => /monitor on http:\/\/127\.0\.0\.1:\d+/.test(stdout), 20_000, "the monitor to listen");
      const base = /monitor on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1] ?? "";
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({
        status: "running",
        store: "sqlite",
      });
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
      dir.remove();
    }
  });
});
