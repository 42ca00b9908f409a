/**
 * A binary min-heap ordered by a numeric priority: O(log n) push and pop. Used for retry
 * deadlines, where thousands of keys may be backing off at once during an outage.
 */
export class MinHeap<T> {
  private readonly items: T[] = [];

  constructor(private readonly priority: (item: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  /** The item with the lowest priority, without removing it. */
  peek(): T | undefined {
    return this.items[0];
  }

  push(item: T): void {
    const items = this.items;
    items.push(item);
    let i = items.length - 1;
    const p = this.priority(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent] as T;
      if (this.priority(above) <= p) break;
      items[i] = above;
      i = parent;
    }
    items[i] = item;
  }

  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    let i = 0;
    const p = this.priority(last);
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) break;
      const right = left + 1;
      let child = left;
      if (right < items.length && this.priority(items[right] as T) < this.priority(items[left] as T)) child = right;
      const below = items[child] as T;
      if (this.priority(below) >= p) break;
      items[i] = below;
      i = child;
    }
    items[i] = last;
    return top;
  }

  /** Removes every item, returning them in no particular order. */
  clear(): T[] {
    return this.items.splice(0);
  }
}
