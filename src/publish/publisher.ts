import type { BridgeError } from "../errors/bridge-error.js";

/** One message of a publish call. */
export interface PublishItem {
  /** Unique within the call; failed entries are reported by it. */
  readonly entryId: string;
  readonly data: Uint8Array;
  /** The publish content type (`application/cloudevents+protobuf` or `application/cloudevents+json`). */
  readonly contentType: string;
  /**
   * Publish the bytes as they are: sent as request-level metadata `rawPayload=true`, the only
   * place daprd reads it. Without it daprd wraps bytes that are not `application/cloudevents+json`
   * in its own JSON CloudEvent envelope. A publisher groups items by this flag.
   */
  readonly rawPayload: boolean;
  /** Per-entry metadata: `partitionKey`, `content-type`; never `rawPayload` (see above). */
  readonly metadata: Readonly<Record<string, string>>;
}

/** The outcome of a publish call that reached the sidecar. */
export interface PublishResult {
  /** Entries that failed, by entry id. Empty when all succeeded. */
  readonly failed: ReadonlyMap<string, BridgeError>;
}

/** Publishes to one pubsub topic through a Dapr sidecar. */
export interface Publisher {
  /**
   * Publishes the items, as one bulk call where the sidecar supports it. Rejects with a
   * BridgeError when the whole call failed; resolves with the failed entries otherwise.
   */
  publish(pubsub: string, topic: string, items: readonly PublishItem[], signal?: AbortSignal): Promise<PublishResult>;
  /** Closes the connection. */
  close(): void;
}
