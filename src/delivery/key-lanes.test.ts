import { describe, expect, it } from "vitest";
import { KeyLanes } from "./key-lanes.js";

interface Event {
  readonly key: string;
  readonly n: number;
}

/** Completes `key` until nothing is released (at most `max` times, so a broken lane cannot loop forever). */
function completeAll(lanes: KeyLanes<Event>, key: string, max = 10_000): number[] {
  const released: number[] = [];
  for (let next = lanes.complete(key); next !== undefined && released.length <= max; next = lanes.complete(key))
    released.push(next.n);
  return released;
}

describe("KeyLanes, ordered", () => {
  it("makes the first event of a key eligible and holds later ones back", () => {
    const lanes = new KeyLanes<Event>(true);
    expect(lanes.enqueue({ key: "a", n: 1 })).toBe(true);
    expect(lanes.enqueue({ key: "a", n: 2 })).toBe(false);
    expect(lanes.enqueue({ key: "a", n: 3 })).toBe(false);
    expect(lanes.keyCount).toBe(1);
  });

  it("releases a key's events one at a time, in the order they were enqueued", () => {
    const lanes = new KeyLanes<Event>(true);
    for (let n = 1; n <= 5; n++) lanes.enqueue({ key: "a", n });
    expect(completeAll(lanes, "a")).toEqual([2, 3, 4, 5]);
    expect(lanes.keyCount).toBe(0);
  });

  it("keeps keys independent: each key's first event is eligible, completing one key leaves the others", () => {
    const lanes = new KeyLanes<Event>(true);
    expect(lanes.enqueue({ key: "a", n: 1 })).toBe(true);
    expect(lanes.enqueue({ key: "b", n: 1 })).toBe(true);
    expect(lanes.enqueue({ key: "a", n: 2 })).toBe(false);
    expect(lanes.enqueue({ key: "b", n: 2 })).toBe(false);
    expect(lanes.keyCount).toBe(2);
    expect(lanes.complete("b")).toEqual({ key: "b", n: 2 });
    expect(lanes.complete("b")).toBeUndefined();
    expect(lanes.keyCount).toBe(1);
    expect(lanes.complete("a")).toEqual({ key: "a", n: 2 });
  });

  it("forgets a key whose last event completed: its next event is eligible again", () => {
    const lanes = new KeyLanes<Event>(true);
    lanes.enqueue({ key: "a", n: 1 });
    expect(lanes.complete("a")).toBeUndefined();
    expect(lanes.keyCount).toBe(0);
    expect(lanes.enqueue({ key: "a", n: 2 })).toBe(true);
  });

  it("treats the empty key as a key like any other", () => {
    const lanes = new KeyLanes<Event>(true);
    expect(lanes.enqueue({ key: "", n: 1 })).toBe(true);
    expect(lanes.enqueue({ key: "", n: 2 })).toBe(false);
    expect(lanes.complete("")).toEqual({ key: "", n: 2 });
  });

  it("answers undefined for a key it does not hold", () => {
    const lanes = new KeyLanes<Event>(true);
    lanes.enqueue({ key: "a", n: 1 });
    expect(lanes.complete("zzz")).toBeUndefined();
    expect(lanes.keyCount).toBe(1);
  });

  it("keeps order for a long lane (past the FIFO's compaction point)", () => {
    const lanes = new KeyLanes<Event>(true);
    for (let n = 0; n < 5000; n++) lanes.enqueue({ key: "k", n });
    expect(completeAll(lanes, "k")).toEqual(Array.from({ length: 4999 }, (_, i) => i + 1));
  });

  it("clear() forgets every key", () => {
    const lanes = new KeyLanes<Event>(true);
    lanes.enqueue({ key: "a", n: 1 });
    lanes.enqueue({ key: "a", n: 2 });
    lanes.enqueue({ key: "b", n: 1 });
    lanes.clear();
    expect(lanes.keyCount).toBe(0);
    expect(lanes.complete("a")).toBeUndefined();
    expect(lanes.enqueue({ key: "a", n: 3 })).toBe(true);
  });
});

describe("KeyLanes, unordered", () => {
  it("makes every event eligible at once, tracks no key and releases nothing on completion", () => {
    const lanes = new KeyLanes<Event>(false);
    expect(lanes.enqueue({ key: "a", n: 1 })).toBe(true);
    expect(lanes.enqueue({ key: "a", n: 2 })).toBe(true);
    expect(lanes.keyCount).toBe(0);
    expect(lanes.complete("a")).toBeUndefined();
  });
});
