import { describe, expect, it } from "vitest";
import type { BatchConfig } from "../config/bridge-config.js";
import { takeBatch } from "./batches.js";
import type { Entry } from "./entry.js";
import { Fifo } from "./fifo.js";

function ready(sizes: readonly number[], readyAt = 0): Fifo<Entry> {
  const queue = new Fifo<Entry>();
  sizes.forEach((size, seq) =>
    queue.push({
      seq,
      id: `id-${seq}`,
      key: `k${seq}`,
      type: "t",
      acceptedAt: 0,
      pubsub: "p",
      topic: "t",
      format: "protobuf",
      payload: new Uint8Array(size),
      deadLetter: false,
      attempts: 0,
      retries: 0,
      dueAt: 0,
      readyAt,
    }),
  );
  return queue;
}

const limits: BatchConfig = { maxEntries: 3, maxBytes: 100, lingerMs: 0, maxInFlight: 4 };

describe("takeBatch", () => {
  it("takes full batches by entries, and cuts by bytes (a large event still goes alone)", () => {
    const queue = ready([10, 10, 10, 10, 150, 60, 60]);
    const sizes = (): number[] => {
      const decision = takeBatch(queue, limits, 0, 0);
      return decision.kind === "send" ? decision.batch.map((e) => e.payload.byteLength) : [];
    };
    expect(sizes()).toEqual([10, 10, 10]);
    expect(sizes()).toEqual([10]);
    expect(sizes()).toEqual([150]);
    expect(sizes()).toEqual([60]);
    expect(sizes()).toEqual([60]);
  });

  it("holds a partial batch while two calls are in flight, but sends a full one", () => {
    expect(takeBatch(ready([1, 1]), limits, 2, 0)).toEqual({ kind: "wait", until: Infinity });
    expect(takeBatch(ready([1, 1, 1]), limits, 2, 0).kind).toBe("send");
    expect(takeBatch(ready([1, 1, 1]), limits, 4, 0)).toEqual({ kind: "wait", until: Infinity });
  });

  it("lingers a partial batch until its oldest event has waited lingerMs", () => {
    const lingering = { ...limits, lingerMs: 5 };
    expect(takeBatch(ready([1], 100), lingering, 0, 102)).toEqual({ kind: "wait", until: 105 });
    expect(takeBatch(ready([1], 100), lingering, 0, 105).kind).toBe("send");
  });
});
