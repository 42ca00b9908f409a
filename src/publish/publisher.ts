import type { BridgeError } from "../errors/bridge-error.js";

/** One message of a publish call. */
export interface PublishItem {
  /** Unique within the call; failed entries are reported by it. */
  readonly entryId: string;
  readonly data: Uint8Array;
  /** The publish content type (`application/cloudevents+protobuf` or `application/cloudevents+json`). */
  readonly contentType: string;
  /** Per-entry metadata: `partitionKey`, `rawPayload`, `content-type` (DESIGN.md §3). */
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
