import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { compareDelivery } from "../src/devtools/delivery-check.js";
import { emit } from "../src/devtools/emitter.js";
import { SPOOL_APPLICATION_ID } from "../src/spool/schema.js";
import {
  allArrived,
  BridgeExitedEarly,
  bridgeArgs,
  countSpoolRows,
  processTestKit,
  recorder,
  sha256File,
  spawnBridge,
  spoolFile,
} from "./helpers/bridge-process.js";
import { waitUntil } from "./helpers/pipeline.js";

// Process-level tests of the spool's bounds and of spool files the bridge must refuse
// (issue: durability).

const kit = processTestKit();
afterEach(() => kit.close());

/** Group commit writes at most this many events per transaction (GroupCommit's default maxBatch). */
const COMMIT_GROUP = 1024;

describe("the bridge process and its spool", () => {
  it("stops reading when the spool is full while the sidecar is down, then delivers everything once it is back", async () => {
    const bound = 500;
    const total = 6000;
    const { sidecar, address } = await kit.sidecar({ faults: { unavailable: true } });
    const dir = kit.dir();
    const bridge = await spawnBridge(
      bridgeArgs({ sidecar: address, spoolDir: dir, extra: ["--spool-max-events", String(bound)] }),
    );
    const { sent, onSent } = recorder();
    let pushedBack = 0;
    let peakSpool = 0;
    const sampleSpool = (): number => {
      const rows = countSpoolRows(dir);
      peakSpool = Math.max(peakSpool, rows);
      return rows;
    };
    const emitting = emit({
      target: bridge.address,
      count: total,
      onSent,
      onBackpressure: () => {
        pushedBack++;
      },
    });
    await waitUntil(() => sampleSpool() >= bound && pushedBack > 0, 30_000, "a full spool and a pushed-back emitter");
    // Let the bridge retry the dead sidecar a while (each call is a failed publish) and
    // watch that the spool stays bounded meanwhile.
    const callsBefore = sidecar.stats().calls;
    await waitUntil(
      () => sampleSpool() >= 0 && sidecar.stats().calls >= callsBefore + 10,
      30_000,
      "10 more publish attempts",
    );
    expect(peakSpool).toBeLessThanOrEqual(bound + COMMIT_GROUP);
    expect(sent.length).toBeLessThan(total);

    sidecar.setFaults({ unavailable: false });
    const result = await emitting;
    expect(result.acknowledged).toBe(true);
    expect(sent).toHaveLength(total);
    await sidecar.waitFor((r) => allArrived(sent, r), { timeoutMs: 60_000 });
    const report = compareDelivery(sent, sidecar.received("pubsub", "dapr-events"));
    expect(report.missing).toBe(0);
    expect(report.outOfOrderKeys).toEqual([]);
  });

  it.each([
    {
      name: "garbage",
      write: (file: string): void =>
        writeFileSync(file, Buffer.concat([Buffer.from("not a database\n"), randomBytes(8192)])),
      message: /is not an SQLite database.*Move it away or point --spool-dir elsewhere/s,
    },
    {
      name: "a newer schema version",
      write: (file: string): void => {
        const db = new Database(file);
        try {
          db.pragma(`application_id = ${SPOOL_APPLICATION_ID}`);
          db.exec("CREATE TABLE events (seq INTEGER PRIMARY KEY, future_column TEXT)");
          db.pragma("user_version = 99");
        } finally {
          db.close();
        }
      },
      message: /schema version 99, newer than this bridge knows.*Upgrade the bridge, or point --spool-dir elsewhere/s,
    },
  ])(
    "refuses a spool file holding $name: exits non-zero naming the file and what to do, bytes untouched",
    async ({ write, message }) => {
      const dir = kit.dir();
      const file = spoolFile(dir);
      write(file);
      const before = sha256File(file);
      const failure: unknown = await spawnBridge(bridgeArgs({ sidecar: "127.0.0.1:1", spoolDir: dir })).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(failure).toBeInstanceOf(BridgeExitedEarly);
      const { exit, stderrText } = failure as BridgeExitedEarly;
      expect(exit.signal).toBeNull();
      expect(exit.code).not.toBe(0);
      expect(stderrText).toContain(file);
      expect(stderrText).toMatch(message);
      expect(sha256File(file)).toBe(before);
    },
  );
});
