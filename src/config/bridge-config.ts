import type { EventFormat } from "../cloudevents/record.js";

/** A CloudEvents Subscriptions API filter (dialects `exact`, `prefix`, `suffix`, `all`, `any`, `not`). */
export type RouteFilter =
  | { readonly exact: Readonly<Record<string, string>> }
  | { readonly prefix: Readonly<Record<string, string>> }
  | { readonly suffix: Readonly<Record<string, string>> }
  | { readonly all: readonly RouteFilter[] }
  | { readonly any: readonly RouteFilter[] }
  | { readonly not: RouteFilter };

/** One route: the first whose filter matches an event decides where it goes. */
export interface RouteConfig {
  /** A name for metrics and logs. @default `route-<index>` */
  readonly name?: string;
  /** Matches every event when absent. */
  readonly filter?: RouteFilter;
  /** Drop the matching events (counted in metrics, never silent). @default false */
  readonly drop?: boolean;
  /** @default the bridge's `pubsub` */
  readonly pubsub?: string;
  /** @default the bridge's `topic` */
  readonly topic?: string;
  /** @default the bridge's `format` */
  readonly format?: EventFormat;
}

/** Retry policy of publishing (docs/contract.md §5). */
export interface RetryConfig {
  /** First backoff, ms. @default 100 */
  readonly initialBackoffMs: number;
  /** Backoff growth factor per attempt. @default 2 */
  readonly multiplier: number;
  /** Backoff cap, ms. @default 30000 */
  readonly maxBackoffMs: number;
  /** Attempts for non-retryable errors before dead-lettering. @default 10 */
  readonly maxAttempts: number;
  /** Optional age, ms, after which even retryable failures are dead-lettered. @default undefined (retry without end) */
  readonly maxAgeMs?: number;
}

/** Publishing batches (the bulk API). */
export interface BatchConfig {
  /** Entries per bulk call. @default 100 */
  readonly maxEntries: number;
  /** Payload bytes per bulk call. @default 1048576 */
  readonly maxBytes: number;
  /** How long a non-full batch waits for more events, ms; batches also grow while two calls are in flight. @default 0 */
  readonly lingerMs: number;
  /** Publish calls in flight at once. @default 8 */
  readonly maxInFlight: number;
}

/** mTLS on the sink. All three files together, or none. */
export interface TlsConfig {
  readonly certFile: string;
  readonly keyFile: string;
  readonly clientCaFile: string;
  /** Allowed SPIFFE trust domains; empty allows all. */
  readonly allowTrustDomains: readonly string[];
  /** Allowed namespaces; empty allows all. */
  readonly allowNamespaces: readonly string[];
  /** Allowed app ids; empty allows all. */
  readonly allowAppIds: readonly string[];
}

/** The effective configuration of a bridge, after flags, environment, file and defaults. */
export interface BridgeConfig {
  /** Sink address HOST:PORT; port 0 picks a free port. @default "127.0.0.1:50051" */
  readonly listen: string;
  /** Largest inbound message, bytes. @default 1048576 */
  readonly maxMessageBytes: number;
  /** Event streams open at once on the sink, all connections together. @default 1024 */
  readonly sinkMaxStreams: number;
  /** HTTP/2 MAX_CONCURRENT_STREAMS of each sink connection. @default 8 */
  readonly sinkMaxStreamsPerConnection: number;
  /** TCP connections to the sink at once. @default 4096 */
  readonly sinkMaxConnections: number;
  /** Bytes of partly received messages the sink may hold; streams ≤ this / maxMessageBytes. @default 268435456 */
  readonly sinkMemoryBudgetBytes: number;
  /** A sink connection without an open stream this long is closed, ms. @default 15000 */
  readonly sinkIdleTimeoutMs: number;
  /** Interval of the sink's keepalive PINGs, ms. @default 30000 */
  readonly sinkKeepaliveTimeMs: number;
  /** A PING unanswered this long closes its connection, ms. @default 10000 */
  readonly sinkKeepaliveTimeoutMs: number;
  /** Empty frames one stream may send before it is refused. @default 100 */
  readonly sinkMaxEmptyFrames: number;
  /** A plaintext sink may listen on a non-loopback address. @default false */
  readonly allowPlaintextPublic: boolean;
  /** Default publish format. @default "protobuf" */
  readonly format: EventFormat;
  /**
   * The bridge's own sidecar: `HOST:PORT` (plaintext) or `https://HOST:PORT` (TLS), as
   * `parseDaprEndpoint` reads it. @default DAPR_GRPC_ENDPOINT, else DAPR_HOST:DAPR_GRPC_PORT, else "127.0.0.1:50001"
   */
  readonly daprGrpcEndpoint: string;
  /** Sent as `dapr-api-token` when set (a secret: masked in output). @default DAPR_API_TOKEN */
  readonly daprApiToken?: string;
  /** Deadline of each publish call, ms. @default 5000 */
  readonly publishTimeoutMs: number;
  /** @default "pubsub" */
  readonly pubsub: string;
  /** @default "dapr-events" */
  readonly topic: string;
  /** @default the `pubsub` value */
  readonly deadLetterPubsub: string;
  /** @default "dapr-events-deadletter" */
  readonly deadLetterTopic: string;
  /** App id used when neither certificate nor stream metadata names one. @default "unknown" */
  readonly appId: string;
  /** Namespace used when neither certificate nor stream metadata names one. @default "default" */
  readonly namespace: string;
  /** @default "disk" */
  readonly durability: "disk" | "memory";
  /** @default "./data" */
  readonly spoolDir: string;
  /** Spool bound, events. @default 1000000 */
  readonly spoolMaxEvents: number;
  /** Spool bound, payload bytes. @default 1073741824 */
  readonly spoolMaxBytes: number;
  /** Initialise a 0-byte (truncated) spool file instead of refusing it. @default false */
  readonly spoolResetEmpty?: boolean;
  /** Accept a spool directory, database or lock file that is a symbolic link. @default false */
  readonly spoolAllowSymlink?: boolean;
  /** Events held in memory for delivery (the window). @default 10000 */
  readonly maxInMemoryEvents: number;
  /** @default "key" */
  readonly ordering: "key" | "none";
  readonly retry: RetryConfig;
  readonly batch: BatchConfig;
  /** Time to drain publishes on shutdown, ms. @default 20000 */
  readonly drainTimeoutMs: number;
  /** Ordered routes; when none match (or none are given) the default route applies. @default [] */
  readonly routes: readonly RouteConfig[];
  /** Metrics and health HTTP listener; "" disables it. @default "127.0.0.1:9464" */
  readonly metricsListen: string;
  /** @default "info" */
  readonly logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  readonly tls?: TlsConfig;
}
