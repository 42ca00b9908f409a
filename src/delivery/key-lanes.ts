import { Fifo } from "./fifo.js";

/**
 * The order rule of docs/contract.md §5: per partition key, events leave in the order they were
 * accepted, and at most one event of a key is in flight (or waiting for a retry) at once.
 * With `ordered: false` every event is eligible at once.
 */
export class KeyLanes<T extends { readonly key: string }> {
  /** Per key, the events in the window; the head is ready, in flight or waiting to retry. */
  private readonly lanes = new Map<string, Fifo<T>>();

  constructor(private readonly ordered: boolean) {}

  /** Number of keys with events in the window. */
  get keyCount(): number {
    return this.lanes.size;
  }

  /**
   * Adds an event behind the earlier events of its key. Returns true when it is eligible
   * now (its key had nothing waiting).
   */
  enqueue(entry: T): boolean {
    if (!this.ordered) return true;
    let lane = this.lanes.get(entry.key);
    if (lane === undefined) {
      lane = new Fifo<T>();
      this.lanes.set(entry.key, lane);
      lane.push(entry);
      return true;
    }
    lane.push(entry);
    return false;
  }

  /**
   * The head of `key` is done (published, or parked as a dead letter). Returns the next
   * event of the key, now eligible, if any.
   */
  complete(key: string): T | undefined {
    if (!this.ordered) return undefined;
    const lane = this.lanes.get(key);
    if (lane === undefined) return undefined;
    lane.shift();
    const next = lane.peek();
    if (next === undefined) this.lanes.delete(key);
    return next;
  }

  /** Forgets everything (on close). */
  clear(): void {
    this.lanes.clear();
  }
}
