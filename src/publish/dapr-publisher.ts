import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { PublishItem, PublishResult, Publisher } from "./publisher.js";
import {
  DaprRuntimeClient,
  type BulkPublishRequest,
  type BulkPublishResponse,
  type DaprRuntimeClientOptions,
} from "./dapr-runtime-client.js";

/** How a {@link DaprPublisher} publishes a batch, learnt from the sidecar. */
export type PublishMethod = "BulkPublishEvent" | "BulkPublishEventAlpha1" | "PublishEvent";

/** Options of a {@link DaprPublisher}: those of its runtime client, plus the fallback's concurrency. */
export interface DaprPublisherOptions extends DaprRuntimeClientOptions {
  /**
   * When the sidecar has no bulk method, how many `PublishEvent` calls of one batch run at once.
   * Entries of one batch may share a partition key: their relative order is kept only with 1.
   * @default 1
   */
  readonly fallbackConcurrency?: number;
}

const BULK_METHODS = ["BulkPublishEvent", "BulkPublishEventAlpha1"] as const;

/**
 * Publishes to Dapr PubSub through the sidecar's gRPC runtime API.
 *
 * A batch goes out as one `BulkPublishEvent`; a sidecar that answers UNIMPLEMENTED is asked
 * with `BulkPublishEventAlpha1`, then with one `PublishEvent` per item. The first method that
 * works is remembered, so a sidecar is probed once, not on every call. Each entry carries its own
 * content type and metadata; nothing is set at request level, because Dapr lets request metadata
 * override entry metadata (DESIGN.md §4).
 *
 * Entries Dapr lists in `failedEntries` are reported in `failed` as retryable
 * `BridgeError(ErrorCode.Unavailable)` carrying the sidecar's error text: Dapr puts broker-side
 * errors there (a Kafka leader election, a full Redis stream), which are mostly transient, and the
 * text alone does not tell a permanent error from a transient one. A call that fails as a whole
 * rejects with the classified BridgeError.
 */
export class DaprPublisher implements Publisher {
  readonly #client: DaprRuntimeClient;
  readonly #fallbackConcurrency: number;
  #method: PublishMethod = "BulkPublishEvent";

  constructor(options: DaprPublisherOptions) {
    const fallbackConcurrency = options.fallbackConcurrency ?? 1;
    if (!Number.isInteger(fallbackConcurrency) || fallbackConcurrency < 1) {
      throw new BridgeError(
        ErrorCode.InvalidConfig,
        `fallbackConcurrency: expected an integer of at least 1, got ${fallbackConcurrency}`,
      );
    }
    this.#fallbackConcurrency = fallbackConcurrency;
    this.#client = new DaprRuntimeClient(options);
  }

  /** The method the next batch will use: `BulkPublishEvent` until the sidecar says otherwise. */
  get method(): PublishMethod {
    return this.#method;
  }

  /** {@inheritDoc Publisher.publish} */
  async publish(
    pubsub: string,
    topic: string,
    items: readonly PublishItem[],
    signal?: AbortSignal,
  ): Promise<PublishResult> {
    if (items.length === 0) return { failed: new Map() };
    const request: BulkPublishRequest = {
      pubsub_name: pubsub,
      topic,
      entries: items.map((item) => ({
        entry_id: item.entryId,
        event: item.data,
        content_type: item.contentType,
        metadata: item.metadata,
      })),
      metadata: {},
    };
    for (const method of BULK_METHODS) {
      if (this.#method !== method) continue;
      try {
        const response = await this.#client.call(method, request, signal);
        return { failed: failedEntries(response, pubsub, topic) };
      } catch (error) {
        if (!(error instanceof BridgeError) || error.code !== ErrorCode.Unimplemented) throw error;
        this.#method = method === "BulkPublishEvent" ? "BulkPublishEventAlpha1" : "PublishEvent";
      }
    }
    return this.#publishEach(pubsub, topic, items, signal);
  }

  /**
   * Readiness: true when the sidecar answers `GetMetadata` within the deadline, false on any
   * failure (the reason is not needed to decide readiness).
   */
  async checkSidecar(signal?: AbortSignal): Promise<boolean> {
    try {
      await this.#client.getMetadata(signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Closes the connection to the sidecar. */
  close(): void {
    this.#client.close();
  }

  /**
   * One `PublishEvent` per item, at most `fallbackConcurrency` at once. A failure of one item is
   * reported in `failed`, and so are the later items of its partition key, which are not sent; if every item failed for the same whole-call reason (the sidecar is
   * down, the token is wrong) the batch rejects like a bulk call would.
   */
  async #publishEach(
    pubsub: string,
    topic: string,
    items: readonly PublishItem[],
    signal?: AbortSignal,
  ): Promise<PublishResult> {
    const failed = new Map<string, BridgeError>();
    // Keys with a failed entry: later entries of the key are not sent, so none overtakes it.
    const failedKeys = new Map<string, BridgeError>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next++];
        if (item === undefined) return;
        const key = item.metadata["partitionKey"];
        const earlier = key === undefined ? undefined : failedKeys.get(key);
        if (earlier !== undefined) {
          failed.set(item.entryId, new BridgeError(earlier.code, `not sent: an earlier entry of key ${key} failed: ${earlier.message}`, { retryable: earlier.retryable }));
          continue;
        }
        try {
          await this.#client.publishEvent(
            { pubsub_name: pubsub, topic, data: item.data, data_content_type: item.contentType, metadata: item.metadata },
            signal,
          );
        } catch (error) {
          const reason = BridgeError.from(error);
          failed.set(item.entryId, reason);
          if (key !== undefined) failedKeys.set(key, reason);
        }
      }
    };
    const workers = Math.min(this.#fallbackConcurrency, items.length);
    await Promise.all(Array.from({ length: workers }, worker));
    if (failed.size === items.length) {
      const first = failed.values().next().value;
      if (first !== undefined && isWholeCallFailure(first)) throw first;
    }
    return { failed };
  }
}

/** Errors that say nothing about an item and everything about the call: the batch rejects. */
function isWholeCallFailure(error: BridgeError): boolean {
  return (
    error.code === ErrorCode.Aborted ||
    error.code === ErrorCode.PermissionDenied ||
    error.code === ErrorCode.Unavailable ||
    error.code === ErrorCode.DeadlineExceeded
  );
}

function failedEntries(response: BulkPublishResponse, pubsub: string, topic: string): Map<string, BridgeError> {
  const failed = new Map<string, BridgeError>();
  for (const entry of response.failedEntries) {
    failed.set(
      entry.entry_id,
      new BridgeError(
        ErrorCode.Unavailable,
        `the sidecar could not publish entry ${entry.entry_id} to ${pubsub}/${topic}: ${entry.error}`,
        { retryable: true },
      ),
    );
  }
  return failed;
}
