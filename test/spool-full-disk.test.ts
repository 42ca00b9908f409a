import { execFileSync } from "node:child_process";
import { closeSync, mkdirSync, openSync, rmSync, truncateSync, writeSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Bridge } from "../src/bridge.js";
import { DevSidecar } from "../src/devtools/dev-sidecar.js";
import { emit } from "../src/devtools/emitter.js";
import { takeEvents } from "../src/devtools/sequences.js";
import { ErrorCode } from "../src/errors/bridge-error.js";
import { startObservability, type ObservabilityServer } from "../src/observability/http-server.js";
import { BridgeMetrics, METRIC_PREFIX } from "../src/observability/metrics.js";
import { parsePrometheusText } from "../src/observability/prometheus-text.js";
import { SPOOL_UNAVAILABLE_MESSAGE } from "../src/spool/group-commit.js";
import { SqliteSpool } from "../src/spool/sqlite-spool.js";
import { tempDir, testConfig } from "./helpers/config.js";
import { waitUntil } from "./helpers/pipeline.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Mounts a 2 MiB tmpfs at `dir`; false where mounting is not permitted (never under CI=true). */
function mountSmallTmpfs(dir: string): boolean {
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m,mode=0700", "tmpfs", dir], { stdio: "pipe" });
    return true;
  } catch (error) {
    if (process.env["CI"] === "true") throw new Error("mounting a tmpfs must work under CI=true", { cause: error });
    return false;
  }
}

/** Writes zeros to `file` until the file system is full; returns the bytes written. */
function fillUp(file: string): number {
  const fd = openSync(file, "w");
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (error) {
    if ((error as { code?: unknown }).code !== "ENOSPC") throw error;
  } finally {
    closeSync(fd);
  }
  return written;
}

interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly err?: { readonly message: string };
}

describe("the spool on a full disk (a real 2 MiB tmpfs)", () => {
  it("refuses streams generically, is not ready, counts only commits, logs once; recovers fully once space returns", async (context) => {
    const root = tempDir("bridge-full-disk-");
    cleanups.push(root.remove);
    const mnt = join(root.dir, "mnt");
    mkdirSync(mnt);
    if (!mountSmallTmpfs(mnt)) {
      context.skip("mounting a tmpfs is not permitted here (run as root, or under CI=true where it must work)");
      return;
    }
    cleanups.push(() => void execFileSync("umount", [mnt]));
    const spoolDir = join(mnt, "spool");

    const sidecar = new DevSidecar({ listen: "127.0.0.1:0", faults: { unavailable: true } });
    const { address } = await sidecar.start();
    cleanups.push(() => sidecar.close());
    const lines: LogLine[] = [];
    const logger = pino(
      { level: "info", serializers: { err: pino.stdSerializers.err } },
      { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
    );
    const metrics = new BridgeMetrics({ logger, defaultMetrics: false });
    const config = testConfig({ daprGrpcEndpoint: address, spoolDir, durability: "disk" });
    const bridge = new Bridge(config, { logger, deliveryObserver: metrics, sinkObserver: metrics });
    metrics.bindStatus(() => bridge.status());
    cleanups.push(() => bridge.close());
    const target = await bridge.start();
    const http: ObservabilityServer | undefined = await startObservability(bridge, { listen: "127.0.0.1:0", metrics });
    if (http === undefined) throw new Error("the observability listener did not start");
    cleanups.push(() => http.close());
    const scrape = async (): Promise<Map<string, number>> =>
      parsePrometheusText(await (await fetch(`http://${http.address}/metrics`)).text());
    const readyz = async (): Promise<{ status: number; reasons: string[] }> => {
      const response = await fetch(`http://${http.address}/readyz`);
      return { status: response.status, reasons: ((await response.json()) as { reasons: string[] }).reasons };
    };
    expect((await readyz()).status).toBe(200);

    // Fill the file system, then give back 128 KiB: some events commit, then the spool is full.
    const filler = join(mnt, "filler");
    const filled = fillUp(filler);
    truncateSync(filler, filled - 128 * 1024);

    const refused = await emit({ target, frames: takeEvents(20_000, { seed: 12 }) });
    expect(refused.acknowledged).toBe(false);
    expect(refused.error?.code).toBe(ErrorCode.Unavailable);
    expect(refused.error?.message).toContain(SPOOL_UNAVAILABLE_MESSAGE);
    expect(refused.error?.message).not.toContain(mnt);
    // A second stream is refused too, and the condition is not logged again.
    const again = await emit({ target, frames: takeEvents(2_000, { seed: 13 }) });
    expect(again.error?.message).toContain(SPOOL_UNAVAILABLE_MESSAGE);

    const notReady = await readyz();
    expect(notReady.status).toBe(503);
    expect(notReady.reasons).toContain("the spool cannot commit events (disk full or unwritable; see the error log)");
    const failures = lines.filter((line) => line.level === 50 && line.msg.startsWith("the spool cannot commit events"));
    expect(failures).toHaveLength(1);
    expect(failures[0]?.err?.message).toContain(join(spoolDir, "spool.db"));
    expect(failures[0]?.err?.message).toMatch(/database or disk is full.*Free disk space/);

    // Accepted = committed: what the spool holds (the sidecar is down, nothing was published).
    const full = await scrape();
    const accepted = full.get(`${METRIC_PREFIX}events_accepted_total`) ?? -1;
    const pending = bridge.status().spool?.pending;
    expect(accepted).toBe(pending);
    expect(accepted).toBeGreaterThan(0);
    expect(accepted).toBeLessThan(refused.sent + again.sent);

    // Space returns and the sidecar is back: ready again, everything published and deleted.
    rmSync(filler);
    sidecar.setFaults({ unavailable: false });
    await waitUntil(
      () => bridge.status().spool?.pending === 0 && bridge.status().spoolFailing === undefined,
      30_000,
      "the spool to drain and commit again",
    );
    expect((await readyz()).status).toBe(200);
    expect((await scrape()).get(`${METRIC_PREFIX}spool_pending_events`)).toBe(0);
    const acked = await emit({ target, frames: takeEvents(100, { seed: 14 }) });
    expect(acked.acknowledged).toBe(true);
    await waitUntil(() => bridge.status().spool?.pending === 0, 30_000, "the last events to be published");
    expect(sidecar.received().length).toBe(accepted + 100);
    expect(lines.some((line) => line.msg === "the spool can commit events again")).toBe(true);

    // A restart republishes nothing.
    await bridge.close();
    const reopened = new SqliteSpool({ dir: spoolDir, maxEvents: 1_000_000, maxBytes: 1 << 30 });
    try {
      expect(reopened.stats().pending).toBe(0);
    } finally {
      reopened.close();
    }
  });
});
