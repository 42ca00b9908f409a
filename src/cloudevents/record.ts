/** A protobuf Timestamp as plain numbers. */
export interface Timestamp {
  /** Seconds since the Unix epoch. */
  readonly seconds: number;
  /** Nanoseconds within the second, 0 to 999,999,999. */
  readonly nanos: number;
}

/** The value of a CloudEvent extension attribute. */
export type ExtensionValue = string | number | boolean | Timestamp;

/** The data of a CloudEvent as the bridge carries it. */
export type CloudEventData =
  /** The workflow or actor event's own bytes, untouched, as `proto_data` (`Any`). */
  | { readonly kind: "proto"; readonly typeUrl: string; readonly value: Uint8Array }
  /** Raw bytes (undecodable input), as `binary_data`. */
  | { readonly kind: "binary"; readonly value: Uint8Array };

/**
 * One CloudEvent, before it is encoded in a format (docs/contract.md §3). Routing filters read
 * its attributes; the encoders turn it into protobuf or JSON bytes.
 */
export interface CloudEventRecord {
  readonly id: string;
  readonly source: string;
  readonly specversion: "1.0";
  readonly type: string;
  readonly subject?: string;
  readonly time?: Timestamp;
  /** `application/protobuf` for the event's data; JSON encoding turns it into `application/json`. */
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  /** Extension attributes by their lower-case names (partitionkey, daprappid, ...). */
  readonly extensions: Readonly<Record<string, ExtensionValue>>;
  readonly data: CloudEventData;
}

/** The formats a route can publish in (docs/contract.md §3). */
export type EventFormat = "protobuf" | "json";

/** The identity of the sidecar that emitted a stream (docs/contract.md §3, Identity). */
export interface SourceIdentity {
  readonly appId: string;
  readonly namespace: string;
}
