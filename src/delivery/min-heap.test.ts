import { describe, expect, it } from "vitest";
import { MinHeap } from "./min-heap.js";

interface Item {
  readonly id: number;
  readonly due: number;
}

/** A deterministic pseudo-random sequence (a linear congruential generator). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state;
  };
}

function drain<T>(heap: MinHeap<T>): T[] {
  const out: T[] = [];
  for (let item = heap.pop(); item !== undefined; item = heap.pop()) out.push(item);
  return out;
}

describe("MinHeap", () => {
  it("is empty at first: size 0, peek and pop give undefined", () => {
    const heap = new MinHeap<Item>((i) => i.due);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    expect(heap.pop()).toBeUndefined();
    expect(heap.size).toBe(0);
  });

  it("peeks at the lowest priority without removing it", () => {
    const heap = new MinHeap<Item>((i) => i.due);
    heap.push({ id: 1, due: 30 });
    heap.push({ id: 2, due: 10 });
    heap.push({ id: 3, due: 20 });
    expect(heap.peek()).toEqual({ id: 2, due: 10 });
    expect(heap.peek()).toEqual({ id: 2, due: 10 });
    expect(heap.size).toBe(3);
  });

  it("pops a single item and is empty after it", () => {
    const heap = new MinHeap<Item>((i) => i.due);
    heap.push({ id: 1, due: 5 });
    expect(heap.pop()).toEqual({ id: 1, due: 5 });
    expect(heap.size).toBe(0);
    expect(heap.pop()).toBeUndefined();
  });

  it("pops 1000 random priorities in ascending order, each item exactly once", () => {
    const next = lcg(42);
    const heap = new MinHeap<Item>((i) => i.due);
    const items = Array.from({ length: 1000 }, (_, id) => ({ id, due: next() % 500 }));
    for (const item of items) heap.push(item);
    expect(heap.size).toBe(1000);
    const popped = drain(heap);
    expect(popped.map((i) => i.due)).toEqual(items.map((i) => i.due).sort((a, b) => a - b));
    expect(new Set(popped.map((i) => i.id)).size).toBe(1000);
    expect(heap.size).toBe(0);
  });

  it("handles equal priorities, negative and fractional ones", () => {
    const heap = new MinHeap<number>((n) => n);
    for (const n of [3, -1, 3, 0.5, -1, 3, 0]) heap.push(n);
    expect(drain(heap)).toEqual([-1, -1, 0, 0.5, 3, 3, 3]);
  });

  it("stays a heap under interleaved pushes and pops (checked against a sorted model)", () => {
    const next = lcg(7);
    const heap = new MinHeap<number>((n) => n);
    const model: number[] = [];
    for (let step = 0; step < 5000; step++) {
      if (next() % 3 === 0) {
        model.sort((a, b) => a - b);
        expect(heap.pop()).toBe(model.shift());
      } else {
        const n = next() % 1000;
        heap.push(n);
        model.push(n);
      }
      expect(heap.size).toBe(model.length);
    }
    expect(drain(heap)).toEqual(model.sort((a, b) => a - b));
  });

  it("clear() returns every item and leaves the heap empty and usable", () => {
    const heap = new MinHeap<Item>((i) => i.due);
    const items = [5, 1, 4, 2, 3].map((due, id) => ({ id, due }));
    for (const item of items) heap.push(item);
    const cleared = heap.clear();
    expect([...cleared].sort((a, b) => a.id - b.id)).toEqual(items);
    expect(heap.size).toBe(0);
    expect(heap.peek()).toBeUndefined();
    heap.push({ id: 9, due: 1 });
    expect(heap.pop()).toEqual({ id: 9, due: 1 });
  });
});
