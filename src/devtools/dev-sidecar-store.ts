import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** The runtime method that delivered an event to the dev sidecar. */
export type DevSidecarMethod = "PublishEvent" | "BulkPublishEvent" | "BulkPublishEventAlpha1";

/** One event the dev sidecar accepted. */
export interface ReceivedEvent {
  readonly pubsub: string;
  readonly topic: string;
  /**
   * What daprd would hand the broker: the bytes as sent when `raw`, else daprd's JSON
   * CloudEvent envelope around them (or the client's JSON CloudEvent with daprd's fields).
   */
  readonly data: Buffer;
  /** `data_content_type` of a PublishEvent, the entry's `content_type` of a bulk call, as the client sent it. */
  readonly contentType: string;
  /**
   * The metadata Dapr would hand the component. Bulk: the entry's metadata with the request's
   * merged under it (entry keys win), empty when the entry has none. PublishEvent: the request's,
   * plus `traceid`/`tracestate` when raw.
   */
  readonly metadata: Readonly<Record<string, string>>;
  /** Whether the request-level metadata had `rawPayload` true (the bytes went out unwrapped). */
  readonly raw: boolean;
  readonly method: DevSidecarMethod;
  /** The bulk entry id; absent for PublishEvent. */
  readonly entryId?: string;
  /** When it arrived, ms since the epoch. */
  readonly receivedAt: number;
}

/** Events per pubsub and topic. */
export interface TopicCount {
  readonly pubsub: string;
  readonly topic: string;
  readonly count: number;
}

/** Options of {@link ReceivedStore.waitFor}. */
export interface WaitForOptions {
  /** How long to wait, in milliseconds. @default 10000 */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** A condition over everything received so far, or the number of events to wait for. */
export type WaitCondition = number | ((received: readonly ReceivedEvent[]) => boolean);

/**
 * Everything the dev sidecar accepted, in arrival order. It is a dev tool: all events stay in
 * memory until {@link ReceivedStore.clear}.
 */
export class ReceivedStore {
  #events: ReceivedEvent[] = [];
  readonly #waiters = new Set<() => void>();

  /** Appends events accepted by one call and wakes the waiters. */
  add(events: readonly ReceivedEvent[]): void {
    this.#events.push(...events);
    for (const wake of [...this.#waiters]) wake();
  }

  /** The events received, optionally only those of one pubsub and topic. */
  list(pubsub?: string, topic?: string): ReceivedEvent[] {
    return this.#events.filter(
      (event) => (pubsub === undefined || event.pubsub === pubsub) && (topic === undefined || event.topic === topic),
    );
  }

  /** Forgets every event. */
  clear(): void {
    this.#events = [];
  }

  /** Events per pubsub and topic, in order of first arrival. */
  counts(): TopicCount[] {
    const counts = new Map<string, { pubsub: string; topic: string; count: number }>();
    for (const { pubsub, topic } of this.#events) {
      const key = `${pubsub}\u0000${topic}`;
      const entry = counts.get(key) ?? { pubsub, topic, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }

  /**
   * Resolves with everything received once `condition` holds (a count, or a predicate over
   * the received events). Rejects with a `deadline_exceeded` BridgeError after `timeoutMs`, or
   * an `aborted` one when `signal` aborts.
   */
  waitFor(condition: WaitCondition, options: WaitForOptions = {}): Promise<ReceivedEvent[]> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const { signal } = options;
    const holds = (): boolean =>
      typeof condition === "number" ? this.#events.length >= condition : condition(this.#events);
    if (holds()) return Promise.resolve([...this.#events]);
    if (signal?.aborted === true) {
      return Promise.reject(new BridgeError(ErrorCode.Aborted, "waitFor was cancelled", { cause: signal.reason }));
    }
    return new Promise((resolve, reject) => {
      const finish = (outcome: () => void): void => {
        clearTimeout(timer);
        this.#waiters.delete(check);
        signal?.removeEventListener("abort", onAbort);
        outcome();
      };
      const check = (): void => {
        if (holds()) finish(() => resolve([...this.#events]));
      };
      const onAbort = (): void =>
        finish(() => reject(new BridgeError(ErrorCode.Aborted, "waitFor was cancelled", { cause: signal?.reason })));
      const timer = setTimeout(() => {
        const what = typeof condition === "number" ? `${condition} events` : "the condition";
        const message = `the dev sidecar did not receive ${what} within ${timeoutMs} ms (it has ${this.#events.length})`;
        finish(() => reject(new BridgeError(ErrorCode.DeadlineExceeded, message)));
      }, timeoutMs);
      this.#waiters.add(check);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
