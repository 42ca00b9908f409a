import { afterEach, describe, expect, it } from "vitest";
import { compareDelivery, type ReceivedPayload, type SentFrame } from "../src/devtools/delivery-check.js";
import { emit } from "../src/devtools/emitter.js";
import {
  allArrived,
  bridgeArgs,
  countSpoolRows,
  processTestKit,
  readSpoolRows,
  recorder,
  rowsAsPayloads,
  spawnBridge,
} from "./helpers/bridge-process.js";
import { waitUntil } from "./helpers/pipeline.js";

// Process-level crash and shutdown tests (issue: durability): SIGKILL, SIGTERM, a second
// signal, each followed by a restart on the same spool.

const kit = processTestKit();
afterEach(() => kit.close());

const MAIN = { pubsub: "pubsub", topic: "dapr-events" } as const;

/**
 * The events of `sent` that `held` (published or spooled CloudEvents) covers, which must be
 * a prefix of `sent`: the bridge reads a stream in order and commits in order, so what it
 * kept has no holes. Identical event bytes are matched in sent order (compareDelivery).
 */
function coveredPrefix(sent: readonly SentFrame[], held: readonly ReceivedPayload[]): SentFrame[] {
  const ids = compareDelivery(sent, held).idsBySent;
  let covered = 0;
  while (covered < sent.length && ids[covered] !== undefined) covered++;
  const holes = sent.slice(covered).filter((_, i) => ids[covered + i] !== undefined).length;
  expect(holes, "events kept after one that was lost").toBe(0);
  return sent.slice(0, covered);
}

describe("the bridge process across crashes and shutdowns", () => {
  it("after SIGKILL mid-stream, a restart on the same spool publishes every acknowledged and every committed event", async () => {
    const { sidecar, address } = await kit.sidecar({ faults: { unavailable: true } });
    const dir = kit.dir();
    const args = bridgeArgs({ sidecar: address, spoolDir: dir });
    const first = await spawnBridge(args);

    const a = recorder();
    const resultA = await emit({
      target: first.address,
      count: 500,
      seed: 1,
      sequence: { keyPrefix: "a-" },
      onSent: a.onSent,
    });
    expect(resultA.acknowledged).toBe(true);
    // Acknowledged means committed: with the sidecar down, all of A is in the spool.
    expect(countSpoolRows(dir)).toBe(500);

    const b = recorder();
    const stopB = new AbortController();
    const streamB = emit({
      target: first.address,
      count: Number.POSITIVE_INFINITY,
      ratePerSec: 2000,
      seed: 2,
      sequence: { keyPrefix: "b-" },
      onSent: b.onSent,
      signal: stopB.signal,
    });
    await waitUntil(() => countSpoolRows(dir) >= 800, 30_000, "300 events of stream B in the spool");
    first.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    stopB.abort();
    expect((await streamB).acknowledged).toBe(false);

    const rows = rowsAsPayloads(readSpoolRows(dir));
    const spooled = compareDelivery([...a.sent, ...b.sent], rows);
    expect(spooled.unexpected).toBe(0);
    expect(spooled.duplicates).toBe(0);
    expect(compareDelivery(a.sent, rows).missing).toBe(0);
    const committedB = coveredPrefix(b.sent, rows);
    expect(committedB.length).toBeGreaterThanOrEqual(300);
    expect(rows).toHaveLength(a.sent.length + committedB.length);

    sidecar.setFaults({ unavailable: false });
    await spawnBridge(args);
    const expected = [...a.sent, ...committedB];
    await sidecar.waitFor((r) => allArrived(expected, r), { timeoutMs: 60_000 });
    const report = compareDelivery(expected, sidecar.received(MAIN.pubsub, MAIN.topic));
    expect(report.missing).toBe(0);
    expect(report.unexpected).toBe(0);
    expect(report.outOfOrderKeys).toEqual([]);
    await waitUntil(() => countSpoolRows(dir) === 0, 20_000, "the spool to empty");
  });

  it("on SIGTERM mid-stream drains, exits 0, keeps the rest in the spool, and a restart publishes it", async () => {
    // 100 ms per call, one call of 10 events at a time: publishing cannot keep up, so the
    // drain ends by its timeout with a backlog left in the spool.
    const { sidecar, address } = await kit.sidecar({ faults: { latencyMs: 100 } });
    const dir = kit.dir();
    const args = bridgeArgs({
      sidecar: address,
      spoolDir: dir,
      extra: ["--drain-timeout", "5s", "--max-in-flight", "1", "--batch-max-entries", "10"],
    });
    const first = await spawnBridge(args);
    const a = recorder();
    const resultA = await emit({
      target: first.address,
      count: 1500,
      seed: 3,
      sequence: { keyPrefix: "a-" },
      onSent: a.onSent,
    });
    expect(resultA.acknowledged).toBe(true);

    const b = recorder();
    const stopB = new AbortController();
    const streamB = emit({
      target: first.address,
      count: Number.POSITIVE_INFINITY,
      ratePerSec: 1000,
      seed: 4,
      sequence: { keyPrefix: "b-" },
      onSent: b.onSent,
      signal: stopB.signal,
    });
    await waitUntil(
      () => b.sent.length >= 200 && sidecar.received().length > 0,
      30_000,
      "stream B flowing and publishing going on",
    );
    first.kill("SIGTERM");
    const exit = await first.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(first.logs.some((line) => line.msg === "shutting down: draining")).toBe(true);
    expect(first.logs.some((line) => line.msg === "drain timed out; the rest stays in the spool")).toBe(true);
    // The open stream was ended by the bridge (UNAVAILABLE), not acknowledged.
    const resultB = await streamB;
    stopB.abort();
    expect(resultB.acknowledged).toBe(false);

    const published = sidecar.received(MAIN.pubsub, MAIN.topic);
    const left = readSpoolRows(dir);
    expect(left.length).toBeGreaterThan(0);
    const held = [...published, ...rowsAsPayloads(left)];
    expect(compareDelivery(a.sent, held).missing).toBe(0);
    const keptB = coveredPrefix(b.sent, held);
    expect(keptB.length).toBeGreaterThan(0);

    sidecar.setFaults({ latencyMs: 0 });
    const second = await spawnBridge(args);
    const expected = [...a.sent, ...keptB];
    await sidecar.waitFor((r) => allArrived(expected, r), { timeoutMs: 60_000 });
    const report = compareDelivery(expected, sidecar.received(MAIN.pubsub, MAIN.topic));
    expect(report.missing).toBe(0);
    expect(report.unexpected).toBe(0);
    expect(report.outOfOrderKeys).toEqual([]);
    await waitUntil(() => countSpoolRows(dir) === 0, 20_000, "the spool to empty");
    second.kill("SIGTERM");
    expect(await second.exited).toEqual({ code: 0, signal: null });
    expect(readSpoolRows(dir)).toEqual([]);
  });

  it("exits at once on a second signal during a long drain, and a restart publishes everything committed", async () => {
    const { sidecar, address } = await kit.sidecar({ faults: { unavailable: true } });
    const dir = kit.dir();
    const args = bridgeArgs({ sidecar: address, spoolDir: dir, extra: ["--drain-timeout", "10m"] });
    const first = await spawnBridge(args);
    const a = recorder();
    const resultA = await emit({ target: first.address, count: 300, seed: 5, onSent: a.onSent });
    expect(resultA.acknowledged).toBe(true);

    first.kill("SIGTERM");
    await waitUntil(
      () => first.logs.some((line) => line.msg === "shutting down: draining"),
      20_000,
      "the drain to start",
    );
    first.kill("SIGINT");
    // The drain would last ten minutes with the sidecar down: an exit at all proves the second signal cut it.
    const exit = await first.exited;
    expect(exit.signal).toBeNull();
    expect(exit.code).not.toBe(0);
    const left = rowsAsPayloads(readSpoolRows(dir));
    expect(left).toHaveLength(300);
    expect(compareDelivery(a.sent, left).missing).toBe(0);

    sidecar.setFaults({ unavailable: false });
    await spawnBridge(args);
    await sidecar.waitFor((r) => allArrived(a.sent, r), { timeoutMs: 60_000 });
    const report = compareDelivery(a.sent, sidecar.received(MAIN.pubsub, MAIN.topic));
    expect(report.missing).toBe(0);
    expect(report.outOfOrderKeys).toEqual([]);
    await waitUntil(() => countSpoolRows(dir) === 0, 20_000, "the spool to empty");
  });
});
