import type { Fact } from "./facts.js";
import type { IngestResult, MonitorStore } from "./store.js";

interface Pending {
  readonly fact: Fact;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: facts added while a batch is being written go into the next batch, so a burst of
 * concurrent deliveries costs one transaction per batch, not per event. `add` resolves once its
 * fact is committed (the caller then acknowledges the delivery), or rejects with the store's error
 * (the caller answers RETRY).
 */
export class IngestQueue {
  readonly #store: MonitorStore;
  readonly #maxBatch: number;
  readonly #onCommit: (result: IngestResult) => void;
  #pending: Pending[] = [];
  #writing: Promise<void> | undefined;

  constructor(store: MonitorStore, maxBatch: number, onCommit: (result: IngestResult) => void) {
    this.#store = store;
    this.#maxBatch = maxBatch;
    this.#onCommit = onCommit;
  }

  /** Facts waiting for a batch. */
  get depth(): number {
    return this.#pending.length;
  }

  add(fact: Fact): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ fact, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  /** Resolves when everything added so far is written. */
  async idle(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
  }

  async #drain(): Promise<void> {
    while (this.#pending.length > 0) {
      // Yield to the event loop first: the requests whose bytes have arrived are parsed and join
      // this batch. (A SQLite commit is synchronous, so without this every batch would be one event.)
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.#pending.splice(0, this.#maxBatch);
      try {
        const result = await this.#store.ingest(batch.map((item) => item.fact));
        for (const item of batch) item.resolve();
        this.#onCommit(result);
      } catch (error) {
        if (batch.length === 1) {
          batch[0]?.reject(error);
          continue;
        }
        // One event the store refuses must not hold back the others: apply them one by one.
        for (const item of batch) {
          try {
            this.#onCommit(await this.#store.ingest([item.fact]));
            item.resolve();
          } catch (single) {
            item.reject(single);
          }
        }
      }
    }
    this.#writing = undefined;
  }
}
