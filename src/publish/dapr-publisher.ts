import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { PublishItem, PublishResult, Publisher } from "./publisher.js";
import {
  DaprRuntimeClient,
  type BulkPublishRequest,
  type BulkPublishResponse,
  type DaprRuntimeClientOptions,
} from "./dapr-runtime-client.js";
import { redactSecret } from "./redact.js";
import { PUBLISH_METHODS, publishMethodFor, type PublishMethod } from "./runtime-version.js";

export type { PublishMethod } from "./runtime-version.js";

/** Options of a {@link DaprPublisher}: those of its runtime client, plus the fallback's concurrency. */
export interface DaprPublisherOptions extends DaprRuntimeClientOptions {
  /**
   * When the sidecar has no bulk method, how many `PublishEvent` calls of one batch run at once.
   * Entries of one batch may share a partition key: their relative order is kept only with 1.
   * @default 1
   */
  readonly fallbackConcurrency?: number;
}

/** Request-level metadata of a raw publish: the only place daprd reads `rawPayload`. */
const RAW_PAYLOAD: Readonly<Record<string, string>> = { rawPayload: "true" };
const NO_METADATA: Readonly<Record<string, string>> = {};

/**
 * Publishes to Dapr PubSub through the sidecar's gRPC runtime API.
 *
 * **Method.** Before its first publish it asks the sidecar's version (`GetMetadata` →
 * `runtime_version`): from v1.17 a batch goes out as one `BulkPublishEvent`, before as one
 * `BulkPublishEventAlpha1`; a version that does not parse (`edge`, `dev`) tries the stable
 * method. A method the sidecar lacks (UNIMPLEMENTED, or the UNKNOWN "failed to proxy request"
 * of daprd's service-invocation proxy, both `ErrorCode.Unimplemented`) is never a publish
 * failure: the next method is tried (down to one `PublishEvent` per item) and remembered. When
 * `GetMetadata` fails with a retryable error (the sidecar is not up yet) the publish rejects with
 * it, so the batch is retried later without an attempt counted; any other failure of it leaves
 * the version unknown (the stable method is tried) and it is asked again next time.
 *
 * **rawPayload.** daprd reads `rawPayload` from request-level metadata only, so it is set on the
 * request, and entries keep their own `partitionKey` and `content-type` (daprd merges the request
 * metadata under an entry's own, entry keys winning). Items are split into runs of consecutive
 * items with the same {@link PublishItem.rawPayload}, one call per run, sent one after another in
 * item order. Per-key order holds across runs: once an entry fails, later entries of its
 * partition key in later runs are not sent and are reported failed too ("not sent: an earlier
 * entry of key K failed"). A run that fails for a reason that concerns the whole sidecar
 * (unavailable, broker unavailable, deadline, permission denied, unauthenticated, aborted) ends the batch: the
 * remaining runs are not sent and fail with the same error. The delivery queue batches per
 * format, so its batches are a single run.
 *
 * **Failures.** A call that fails as a whole fails all its entries: over gRPC daprd answers a
 * failed bulk call with an error and an empty `failedEntries`. Entries a sidecar does list in
 * `failedEntries` are reported as retryable `ErrorCode.BrokerUnavailable` carrying its text. When
 * every item failed with one and the same error the publish rejects with it.
 */
export class DaprPublisher implements Publisher {
  readonly #client: DaprRuntimeClient;
  readonly #fallbackConcurrency: number;
  readonly #apiToken: string | undefined;
  #method: PublishMethod = "BulkPublishEvent";
  #versionKnown = false;
  #asking: Promise<void> | undefined;

  constructor(options: DaprPublisherOptions) {
    const fallbackConcurrency = options.fallbackConcurrency ?? 1;
    if (!Number.isInteger(fallbackConcurrency) || fallbackConcurrency < 1) {
      throw new BridgeError(
        ErrorCode.InvalidConfig,
        `fallbackConcurrency: expected an integer of at least 1, got ${fallbackConcurrency}`,
      );
    }
    this.#fallbackConcurrency = fallbackConcurrency;
    this.#apiToken = options.apiToken;
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
    await this.#learnVersion(signal);
    const failed = new Map<string, BridgeError>();
    // Keys with a failed entry: later entries of the key are not sent, so none overtakes it.
    const failedKeys = new Map<string, BridgeError>();
    let stop: BridgeError | undefined;
    for (const run of runs(items)) {
      const send: PublishItem[] = [];
      for (const item of run) {
        const earlier = stop ?? heldBack(item, failedKeys);
        if (earlier === undefined) send.push(item);
        else failed.set(item.entryId, earlier);
      }
      if (send.length === 0) continue;
      let outcome: ReadonlyMap<string, BridgeError>;
      try {
        outcome = (await this.#publishRun(pubsub, topic, send, signal)).failed;
      } catch (error) {
        const reason = BridgeError.from(error);
        outcome = new Map(send.map((item) => [item.entryId, reason]));
        if (isWholeCallFailure(reason)) stop = reason;
      }
      for (const item of send) {
        const reason = outcome.get(item.entryId);
        if (reason === undefined) continue;
        failed.set(item.entryId, reason);
        const key = item.metadata["partitionKey"];
        if (key !== undefined && !failedKeys.has(key)) failedKeys.set(key, reason);
      }
    }
    const first = failed.values().next().value;
    if (first !== undefined && failed.size === items.length && [...failed.values()].every((e) => e === first))
      throw first;
    return { failed };
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

  /** Asks the sidecar's version once (concurrent publishes share the question). */
  async #learnVersion(signal?: AbortSignal): Promise<void> {
    if (this.#versionKnown) return;
    this.#asking ??= this.#client
      .getMetadata(signal)
      .then(
        (metadata) => {
          this.#method = publishMethodFor(metadata.runtime_version);
          this.#versionKnown = true;
        },
        (error: unknown) => {
          const reason = BridgeError.from(error);
          if (reason.retryable || reason.code === ErrorCode.Aborted) throw reason;
          // Not a sidecar outage (a refused token, no GetMetadata): try the stable method and ask again next time.
        },
      )
      .finally(() => {
        this.#asking = undefined;
      });
    await this.#asking;
  }

  /** One call for items of the same rawPayload, by the best method the sidecar has. */
  async #publishRun(
    pubsub: string,
    topic: string,
    items: readonly PublishItem[],
    signal?: AbortSignal,
  ): Promise<PublishResult> {
    const metadata = items[0]?.rawPayload === true ? RAW_PAYLOAD : NO_METADATA;
    while (this.#method !== "PublishEvent") {
      const method = this.#method;
      const request: BulkPublishRequest = {
        pubsub_name: pubsub,
        topic,
        entries: items.map((item) => ({
          entry_id: item.entryId,
          event: item.data,
          content_type: item.contentType,
          metadata: item.metadata,
        })),
        metadata,
      };
      try {
        return {
          failed: failedEntries(await this.#client.call(method, request, signal), pubsub, topic, this.#apiToken),
        };
      } catch (error) {
        if (!(error instanceof BridgeError) || error.code !== ErrorCode.Unimplemented) throw error;
        // The method is absent: take the next one, and keep it (unless a concurrent call already moved on).
        if (this.#method === method)
          this.#method = PUBLISH_METHODS[PUBLISH_METHODS.indexOf(method) + 1] ?? "PublishEvent";
      }
    }
    return this.#publishEach(pubsub, topic, items, metadata, signal);
  }

  /**
   * One `PublishEvent` per item, at most `fallbackConcurrency` at once; `PublishEvent` has only
   * request metadata, so `requestMetadata` (rawPayload) joins the item's. A failure of one item is
   * reported in `failed`, and so are the later items of its partition key, which are not sent.
   */
  async #publishEach(
    pubsub: string,
    topic: string,
    items: readonly PublishItem[],
    requestMetadata: Readonly<Record<string, string>>,
    signal?: AbortSignal,
  ): Promise<PublishResult> {
    const failed = new Map<string, BridgeError>();
    const failedKeys = new Map<string, BridgeError>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < items.length) {
        const item = items[next++];
        if (item === undefined) return;
        const earlier = heldBack(item, failedKeys);
        if (earlier !== undefined) {
          failed.set(item.entryId, earlier);
          continue;
        }
        try {
          await this.#client.publishEvent(
            {
              pubsub_name: pubsub,
              topic,
              data: item.data,
              data_content_type: item.contentType,
              metadata: { ...item.metadata, ...requestMetadata },
            },
            signal,
          );
        } catch (error) {
          const reason = BridgeError.from(error);
          failed.set(item.entryId, reason);
          const key = item.metadata["partitionKey"];
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

/** Consecutive items with the same rawPayload, in item order. */
function runs(items: readonly PublishItem[]): PublishItem[][] {
  const out: PublishItem[][] = [];
  let current: PublishItem[] = [];
  for (const item of items) {
    if (current.length > 0 && current[0]?.rawPayload !== item.rawPayload) {
      out.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** The error an item is held back with because an earlier entry of its key failed; undefined to send it. */
function heldBack(item: PublishItem, failedKeys: ReadonlyMap<string, BridgeError>): BridgeError | undefined {
  const key = item.metadata["partitionKey"];
  const earlier = key === undefined ? undefined : failedKeys.get(key);
  if (earlier === undefined) return undefined;
  return new BridgeError(earlier.code, `not sent: an earlier entry of key ${key} failed: ${earlier.message}`, {
    retryable: earlier.retryable,
  });
}

/** Errors that say nothing about an item and everything about the call: the batch rejects. */
function isWholeCallFailure(error: BridgeError): boolean {
  return (
    error.code === ErrorCode.Aborted ||
    error.code === ErrorCode.PermissionDenied ||
    error.code === ErrorCode.Unauthenticated ||
    error.code === ErrorCode.Unavailable ||
    error.code === ErrorCode.BrokerUnavailable ||
    error.code === ErrorCode.DeadlineExceeded
  );
}

/** The entries a sidecar lists as failed, its text without the API token (see `sidecarError`). */
function failedEntries(
  response: BulkPublishResponse,
  pubsub: string,
  topic: string,
  apiToken: string | undefined,
): Map<string, BridgeError> {
  const failed = new Map<string, BridgeError>();
  for (const entry of response.failedEntries) {
    failed.set(
      entry.entry_id,
      new BridgeError(
        ErrorCode.BrokerUnavailable,
        `the sidecar could not publish entry ${entry.entry_id} to ${pubsub}/${topic}: ${redactSecret(entry.error, apiToken)}`,
        { retryable: true },
      ),
    );
  }
  return failed;
}
