import { status as GrpcStatus } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { processTestKit } from "./helpers/bridge-process.js";
import { frameFlood, openRawStreams, type RawClients } from "./helpers/hostile-clients.js";
import { underAttack, waitFor } from "./helpers/hostile-run.js";

// Issue 12, bad frames: a flood of empty frames is junk (an EventRequest always carries an
// event): counted, never dead-lettered, and the stream is refused after sinkMaxEmptyFrames;
// frames with content are still kept as undecodable dead letters, but logged once per stream
// per interval, not once per frame. Default flags; a well-behaved stream writes meanwhile.

const kit = processTestKit();
const opened: RawClients[] = [];
afterEach(async () => {
  for (const client of opened.splice(0)) client.close();
  await kit.close();
});

const MiB = 1024 * 1024;
const DEAD_LETTERS = { pubsub: "pubsub", topic: "dapr-events-deadletter" } as const;

const warnLines = (logs: readonly { level?: number; msg?: string }[], text: string): number =>
  logs.filter((l) => (l.level ?? 0) === 40 && typeof l.msg === "string" && l.msg.includes(text)).length;

describe("the sink under a flood of bad frames, with default limits", () => {
  it(
    "refuses streams of empty frames after 100 with INVALID_ARGUMENT: 50 streams x 1,000 empty frames",
    { timeout: 120_000 },
    async () => {
      let clients: RawClients | undefined;
      const outcome = await underAttack(kit, async (bridge) => {
        const c = openRawStreams(bridge.address, 50, 1, frameFlood(1000, Buffer.alloc(0)));
        clients = c;
        opened.push(c);
        await waitFor(() => c.settled() >= 50, 30_000, "every flooding stream ended");
      });
      expect(clients?.tally.statuses.get(GrpcStatus.INVALID_ARGUMENT)).toBe(50);
      expect([...(clients?.tally.messages ?? [])].join("\n")).toMatch(/more than 100 empty frames.*sinkMaxEmptyFrames/);
      // Nothing of the empty frames is kept or published, and no line is logged per frame.
      expect(outcome.sidecar.received(DEAD_LETTERS.pubsub, DEAD_LETTERS.topic)).toEqual([]);
      expect(warnLines(outcome.bridge.logs, "undecodable")).toBe(0);
      expect(outcome.bridge.logs.length).toBeLessThan(500);
      expect(outcome.good.acknowledged).toBe(true);
      expect(outcome.report.missing).toBe(0);
      expect(outcome.report.unexpected).toBe(0);
      expect(outcome.peakRss).toBeLessThan(512 * MiB);
    },
  );

  it(
    "keeps 5,000 undecodable frames as dead letters, logged in a few lines, not 5,000",
    { timeout: 120_000 },
    async () => {
      let clients: RawClients | undefined;
      const junk = 5000;
      const outcome = await underAttack(kit, async (bridge) => {
        const c = openRawStreams(bridge.address, 1, 1, frameFlood(junk, Buffer.from([0xff])));
        clients = c;
        opened.push(c);
        await waitFor(() => c.settled() >= 1, 30_000, "the junk stream acknowledged");
      });
      expect(clients?.tally.statuses.get(GrpcStatus.OK)).toBe(1);
      const deadLetters = await outcome.sidecar.waitFor(
        (received) => received.filter((e) => e.topic === DEAD_LETTERS.topic).length >= junk,
        { timeoutMs: 30_000 },
      );
      expect(deadLetters.filter((e) => e.topic === DEAD_LETTERS.topic)).toHaveLength(junk);
      // Dead letters go out in bulk: far fewer calls than events, even counting the good stream's.
      const calls = outcome.sidecar.stats().calls;
      expect(calls).toBeLessThan((junk + outcome.report.sent) / 4);
      console.log(`5,000 dead letters + ${outcome.report.sent} good events: ${calls} sidecar calls`);
      // The first line at once, then at most one per 10 s with a count, and one at the end.
      const lines = outcome.bridge.logs.filter(
        (l) => typeof l.msg === "string" && l.msg.startsWith("undecodable frame"),
      );
      expect(lines.length).toBeLessThanOrEqual(5);
      expect(lines.reduce((n, l) => n + Number(l["count"] ?? 1), 0)).toBe(junk);
      expect(outcome.good.acknowledged).toBe(true);
      expect(outcome.report.missing).toBe(0);
      expect(outcome.peakRss).toBeLessThan(512 * MiB);
    },
  );
});
