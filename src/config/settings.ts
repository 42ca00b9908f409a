import { z } from "zod";
import type { RouteFilter, TlsConfig } from "./bridge-config.js";
import { durationMs } from "./duration.js";
import { tryParseHostPort } from "./host-port.js";
import { filterProblems } from "../routing/filter.js";
import { formatDaprEndpoint, parseDaprEndpoint } from "../publish/dapr-endpoint.js";
import { normalizeTrustDomain } from "../sink/spiffe.js";

/** How a flag or environment string becomes a setting's value before validation. */
export type InputKind = "string" | "integer" | "number" | "duration" | "list" | "enum";

/** What the CLI, the environment loader and the docs know about one setting. */
export interface SettingMeta {
  /** One sentence for `--help` and docs/configuration.md. */
  readonly description: string;
  /** The command-line flag, e.g. `--spool-dir`; none for settings only a file can hold. */
  readonly flag?: string;
  /** Environment variables, first set one wins; none for settings the environment cannot set. */
  readonly env?: readonly string[];
  /** How a string from a flag or the environment is converted. */
  readonly kind: InputKind;
  /** Masked in printed configuration. @default false */
  readonly secret?: boolean;
  /** The default in words, when it is not a schema default (derived or absent). */
  readonly defaultText?: string;
  /** An empty environment value is a value (else it counts as unset). @default false */
  readonly allowEmpty?: boolean;
}

/** A setting: its zod schema (with default and range) and its metadata. */
export interface Setting<S extends z.ZodType = z.ZodType> extends SettingMeta {
  readonly schema: S;
}

/** A nested mapping of settings (`retry:`, `batch:`, `tls:`). */
export interface SettingGroup<G extends SettingTable, S extends z.ZodType = z.ZodType> {
  readonly description: string;
  readonly children: G;
  readonly schema: S;
}

/** Settings or groups by their camelCase key in BridgeConfig. */
export type SettingTable = Readonly<Record<string, { readonly schema: z.ZodType }>>;

/** The zod shape of a table: each key's schema. */
export type ShapeOf<T extends SettingTable> = { -readonly [K in keyof T]: T[K]["schema"] };

/** The zod object shape of a table. */
export function shapeOf<T extends SettingTable>(table: T): ShapeOf<T> {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, entry] of Object.entries(table)) shape[key] = entry.schema;
  return shape as ShapeOf<T>;
}

const setting = <S extends z.ZodType>(s: Setting<S>): Setting<S> => s;

function hostPort(minPort: number) {
  return z.string().refine((v) => tryParseHostPort(v, minPort) !== undefined, {
    error: `HOST:PORT with a port ${minPort}..65535 (IPv6 hosts in brackets)`,
  });
}

const nonEmpty = () => z.string().min(1);
const positiveInt = () => z.number().int().min(1);
const stringList = () => z.array(nonEmpty()).readonly();
const formatEnum = z.enum(["protobuf", "json"]);
/** A yes/no setting: `true` or `false` from a flag or the environment, a boolean from a file. */
const onOff = () =>
  z.union([z.boolean(), z.enum(["true", "false"]).transform((text) => text === "true")]).default(false);

/** Trust domains, lower-cased as SPIFFE writes them; anything that cannot be one is refused. */
const trustDomainList = () =>
  z
    .array(
      nonEmpty()
        .refine((v) => normalizeTrustDomain(v) !== undefined, {
          error: 'a SPIFFE trust domain (letters, digits, ".", "-" and "_"; no scheme, port or path)',
        })
        .transform((v) => v.toLowerCase()),
    )
    .readonly();

const filterSchema = z
  .custom<RouteFilter>(() => true)
  .superRefine((value, ctx) => {
    for (const p of filterProblems(value)) {
      ctx.addIssue({
        code: "custom",
        message: p.expected,
        path: [...p.path],
        input: p.got,
        params: { described: true },
      });
    }
  });

const routeShape = {
  name: nonEmpty().exactOptional(),
  filter: filterSchema.exactOptional(),
  drop: z.boolean().exactOptional(),
  pubsub: nonEmpty().exactOptional(),
  topic: nonEmpty().exactOptional(),
  format: formatEnum.exactOptional(),
};

/** The keys a route mapping takes. */
export const ROUTE_KEYS: readonly string[] = Object.keys(routeShape);

const routeSchema = z.strictObject(routeShape).superRefine((route, ctx) => {
  if (route.drop !== true) return;
  for (const key of ["pubsub", "topic", "format"] as const) {
    if (route[key] !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [key],
        message: "no pubsub, topic or format on a drop route",
        input: route[key],
      });
    }
  }
});

/**
 * The Dapr endpoint in its canonical form (`HOST:PORT`, or `https://HOST:PORT` for TLS): the
 * TLS intent of `https://` or `?tls=true` is kept, `http://` is dropped. A value that does not
 * parse is passed on for the schema to reject.
 */
function canonicalDaprEndpoint(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try {
    return formatDaprEndpoint(parseDaprEndpoint(value));
  } catch {
    return value;
  }
}

/** Whether a canonical Dapr endpoint has a HOST:PORT address with a port 1..65535. */
function isDaprEndpoint(value: string): boolean {
  try {
    return tryParseHostPort(parseDaprEndpoint(value).address, 1) !== undefined;
  } catch {
    return false;
  }
}

const daprEndpointSchema = z.preprocess(
  canonicalDaprEndpoint,
  z.string().refine(isDaprEndpoint, {
    error:
      "HOST:PORT, http://HOST:PORT or https://HOST:PORT (TLS; or ?tls=true) with a port 1..65535 (IPv6 hosts in brackets)",
  }),
);

const retrySettings = {
  initialBackoffMs: setting({
    schema: durationMs({ min: 1 }).default(100),
    kind: "duration",
    flag: "--retry-initial-backoff",
    env: ["BRIDGE_RETRY_INITIAL_BACKOFF_MS"],
    description: "First retry backoff.",
  }),
  multiplier: setting({
    schema: z.number().min(1).default(2),
    kind: "number",
    flag: "--retry-multiplier",
    env: ["BRIDGE_RETRY_MULTIPLIER"],
    description: "Backoff growth factor per attempt (>= 1).",
  }),
  maxBackoffMs: setting({
    schema: durationMs({ min: 1 }).default(30_000),
    kind: "duration",
    flag: "--retry-max-backoff",
    env: ["BRIDGE_RETRY_MAX_BACKOFF_MS"],
    description: "Backoff cap (backoff is full-jitter below it).",
  }),
  maxAttempts: setting({
    schema: positiveInt().default(10),
    kind: "integer",
    flag: "--max-attempts",
    env: ["BRIDGE_RETRY_MAX_ATTEMPTS"],
    description: "Attempts for non-retryable errors before an event is dead-lettered.",
  }),
  maxAgeMs: setting({
    schema: durationMs({ min: 1 }).exactOptional(),
    kind: "duration",
    flag: "--retry-max-age",
    env: ["BRIDGE_RETRY_MAX_AGE_MS"],
    defaultText: "none (retry without end)",
    description: "Age after which even retryable failures are dead-lettered.",
  }),
};

const batchSettings = {
  maxEntries: setting({
    schema: positiveInt().default(100),
    kind: "integer",
    flag: "--batch-max-entries",
    env: ["BRIDGE_BATCH_MAX_ENTRIES"],
    description: "Entries per bulk publish call.",
  }),
  maxBytes: setting({
    schema: positiveInt().default(1_048_576),
    kind: "integer",
    flag: "--batch-max-bytes",
    env: ["BRIDGE_BATCH_MAX_BYTES"],
    description: "Payload bytes per bulk publish call.",
  }),
  lingerMs: setting({
    schema: durationMs({ min: 0 }).default(0),
    kind: "duration",
    flag: "--batch-linger",
    env: ["BRIDGE_BATCH_LINGER_MS"],
    description:
      "How long a non-full batch waits for more events before it may be sent; batches also grow on their own while two calls are in flight.",
  }),
  maxInFlight: setting({
    schema: positiveInt().default(8),
    kind: "integer",
    flag: "--max-in-flight",
    env: ["BRIDGE_BATCH_MAX_IN_FLIGHT"],
    description: "Publish calls in flight at once.",
  }),
};

const tlsSettings = {
  certFile: setting({
    schema: nonEmpty().exactOptional(),
    kind: "string",
    flag: "--tls-cert",
    env: ["BRIDGE_TLS_CERT"],
    defaultText: "none (plaintext sink)",
    description: "Sink server certificate (PEM); with key and client CA it turns on mTLS.",
  }),
  keyFile: setting({
    schema: nonEmpty().exactOptional(),
    kind: "string",
    flag: "--tls-key",
    env: ["BRIDGE_TLS_KEY"],
    defaultText: "none",
    description: "Private key of the sink certificate (PEM).",
  }),
  clientCaFile: setting({
    schema: nonEmpty().exactOptional(),
    kind: "string",
    flag: "--tls-client-ca",
    env: ["BRIDGE_TLS_CLIENT_CA"],
    defaultText: "none",
    description: "CA bundle (PEM) that client (daprd) certificates must chain to.",
  }),
  allowTrustDomains: setting({
    schema: trustDomainList().default([]),
    kind: "list",
    flag: "--tls-allow-trust-domains",
    env: ["BRIDGE_TLS_ALLOW_TRUST_DOMAINS"],
    description:
      "SPIFFE trust domains allowed to connect (comma-separated in flags and env; compared lower-case, as SPIFFE writes them); empty allows all.",
  }),
  allowNamespaces: setting({
    schema: stringList().default([]),
    kind: "list",
    flag: "--tls-allow-namespaces",
    env: ["BRIDGE_TLS_ALLOW_NAMESPACES"],
    description: "Namespaces allowed to connect; empty allows all.",
  }),
  allowAppIds: setting({
    schema: stringList().default([]),
    kind: "list",
    flag: "--tls-allow-app-ids",
    env: ["BRIDGE_TLS_ALLOW_APP_IDS"],
    description: "App ids allowed to connect; empty allows all.",
  }),
};

const TLS_FILES = ["certFile", "keyFile", "clientCaFile"] as const;

type TlsInput = z.output<z.ZodObject<ShapeOf<typeof tlsSettings>>>;

/** All three TLS files, or none (then no allow list may be set either). */
function tlsOrNone(tls: TlsInput, ctx: z.RefinementCtx): TlsConfig | undefined {
  const { certFile, keyFile, clientCaFile } = tls;
  if (certFile !== undefined && keyFile !== undefined && clientCaFile !== undefined) {
    return { ...tls, certFile, keyFile, clientCaFile };
  }
  const given = TLS_FILES.filter((k) => tls[k] !== undefined);
  const missing = TLS_FILES.filter((k) => tls[k] === undefined);
  if (given.length > 0) {
    const names = missing.map((k) => `tls.${k} (${tlsSettings[k].flag}, ${(tlsSettings[k].env ?? []).join(", ")})`);
    ctx.addIssue({
      code: "custom",
      message: "tls.certFile, tls.keyFile and tls.clientCaFile together, or none of them",
      input: `only ${given.map((k) => `tls.${k}`).join(", ")}; missing ${names.join(", ")}`,
      params: { described: true },
    });
    return z.NEVER;
  }
  const lists = (["allowTrustDomains", "allowNamespaces", "allowAppIds"] as const).filter((k) => tls[k].length > 0);
  if (lists.length > 0) {
    ctx.addIssue({
      code: "custom",
      message: "allow lists only with mTLS (set tls.certFile, tls.keyFile and tls.clientCaFile)",
      input: `${lists.map((k) => `tls.${k}`).join(", ")} without certificates`,
      params: { described: true },
    });
    return z.NEVER;
  }
  return undefined;
}

/**
 * THE table of settings: every key of BridgeConfig once, with its schema (type, range, default),
 * flag, environment variables and description. The schema (schema.ts), the CLI flags and the
 * environment loader (load.ts) and the docs (reference.ts) are all derived from it.
 */
export const SETTINGS = {
  listen: setting({
    schema: hostPort(0).default("127.0.0.1:50051"),
    kind: "string",
    flag: "--listen",
    env: ["BRIDGE_LISTEN"],
    description: "Sink gRPC address HOST:PORT; port 0 picks a free port.",
  }),
  maxMessageBytes: setting({
    schema: positiveInt().default(1_048_576),
    kind: "integer",
    flag: "--max-message-bytes",
    env: ["BRIDGE_MAX_MESSAGE_BYTES"],
    description:
      "Largest inbound gRPC message, bytes; with sinkMemoryBudgetBytes it bounds the streams open at once (docs/security.md).",
  }),
  sinkMaxStreams: setting({
    schema: positiveInt().default(1024),
    kind: "integer",
    flag: "--sink-max-streams",
    env: ["BRIDGE_SINK_MAX_STREAMS"],
    description:
      "Event streams open at once, all connections together (also bounded by sinkMemoryBudgetBytes / maxMessageBytes); more are refused with RESOURCE_EXHAUSTED.",
  }),
  sinkMaxStreamsPerConnection: setting({
    schema: positiveInt().default(8),
    kind: "integer",
    flag: "--sink-max-streams-per-connection",
    env: ["BRIDGE_SINK_MAX_STREAMS_PER_CONNECTION"],
    description: "HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS of each sink connection (daprd opens one stream).",
  }),
  sinkMaxConnections: setting({
    schema: positiveInt().default(4096),
    kind: "integer",
    flag: "--sink-max-connections",
    env: ["BRIDGE_SINK_MAX_CONNECTIONS"],
    description: "TCP connections to the sink at once; more are closed on accept.",
  }),
  sinkMemoryBudgetBytes: setting({
    schema: positiveInt().default(268_435_456),
    kind: "integer",
    flag: "--sink-memory-budget",
    env: ["BRIDGE_SINK_MEMORY_BUDGET_BYTES"],
    description:
      "Bytes the sink may hold in partly received messages: streams open at once are at most this / maxMessageBytes.",
  }),
  sinkIdleTimeoutMs: setting({
    schema: durationMs({ min: 1 }).default(15_000),
    kind: "duration",
    flag: "--sink-idle-timeout",
    env: ["BRIDGE_SINK_IDLE_TIMEOUT_MS"],
    description:
      "A sink connection without an open stream this long is closed (connections that never open one, silent TCP, half-closed sockets).",
  }),
  sinkKeepaliveTimeMs: setting({
    schema: durationMs({ min: 1 }).default(30_000),
    kind: "duration",
    flag: "--sink-keepalive-time",
    env: ["BRIDGE_SINK_KEEPALIVE_TIME_MS"],
    description:
      "Interval of HTTP/2 PINGs the sink sends on each connection; a quiet stream lives as long as its connection answers.",
  }),
  sinkKeepaliveTimeoutMs: setting({
    schema: durationMs({ min: 1 }).default(10_000),
    kind: "duration",
    flag: "--sink-keepalive-timeout",
    env: ["BRIDGE_SINK_KEEPALIVE_TIMEOUT_MS"],
    description: "A sink connection whose PING is not answered this long is closed.",
  }),
  sinkMaxEmptyFrames: setting({
    schema: positiveInt().default(100),
    kind: "integer",
    flag: "--sink-max-empty-frames",
    env: ["BRIDGE_SINK_MAX_EMPTY_FRAMES"],
    description: "Empty frames (no event) one stream may send; the next ends it with INVALID_ARGUMENT.",
  }),
  allowPlaintextPublic: setting({
    schema: z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean()).default(false),
    kind: "enum",
    flag: "--allow-plaintext-public",
    env: ["BRIDGE_ALLOW_PLAINTEXT_PUBLIC"],
    description:
      "`true` lets a sink without mTLS listen on a non-loopback address (a warning is logged); otherwise the bridge refuses to start.",
  }),
  format: setting({
    schema: formatEnum.default("protobuf"),
    kind: "enum",
    flag: "--format",
    env: ["BRIDGE_FORMAT"],
    description: "Default publish format: `protobuf` or `json` (routes may override).",
  }),
  daprGrpcEndpoint: setting({
    schema: daprEndpointSchema.default("127.0.0.1:50001"),
    kind: "string",
    flag: "--dapr-grpc-endpoint",
    env: ["DAPR_GRPC_ENDPOINT", "DAPR_HOST + DAPR_GRPC_PORT"],
    description:
      "The bridge's own Dapr sidecar, gRPC HOST:PORT. `https://HOST:PORT` or `?tls=true` connects with TLS (system CA certificates); `http://` or no scheme is plaintext. Kept as `HOST:PORT` or `https://HOST:PORT`.",
  }),
  daprApiToken: setting({
    schema: nonEmpty().exactOptional(),
    kind: "string",
    env: ["DAPR_API_TOKEN"],
    secret: true,
    defaultText: "none",
    description:
      "Sent as `dapr-api-token` on every call. Environment only: no flag (command lines are visible to other users), and a file holding it is refused.",
  }),
  publishTimeoutMs: setting({
    schema: durationMs({ min: 1 }).default(5_000),
    kind: "duration",
    flag: "--publish-timeout",
    env: ["BRIDGE_PUBLISH_TIMEOUT_MS"],
    description: "Deadline of each publish call.",
  }),
  pubsub: setting({
    schema: nonEmpty().default("pubsub"),
    kind: "string",
    flag: "--pubsub",
    env: ["BRIDGE_PUBSUB"],
    description: "Default pubsub component name.",
  }),
  topic: setting({
    schema: nonEmpty().default("dapr-events"),
    kind: "string",
    flag: "--topic",
    env: ["BRIDGE_TOPIC"],
    description: "Default topic.",
  }),
  deadLetterPubsub: setting({
    schema: nonEmpty().exactOptional(),
    kind: "string",
    flag: "--dead-letter-pubsub",
    env: ["BRIDGE_DEAD_LETTER_PUBSUB"],
    defaultText: "the `pubsub` value",
    description: "Pubsub component of the dead-letter route.",
  }),
  deadLetterTopic: setting({
    schema: nonEmpty().default("dapr-events-deadletter"),
    kind: "string",
    flag: "--dead-letter-topic",
    env: ["BRIDGE_DEAD_LETTER_TOPIC"],
    description: "Topic of the dead-letter route.",
  }),
  appId: setting({
    schema: nonEmpty().default("unknown"),
    kind: "string",
    flag: "--app-id",
    env: ["BRIDGE_APP_ID"],
    description: "App id used when neither the client certificate nor the stream metadata names one.",
  }),
  namespace: setting({
    schema: nonEmpty().default("default"),
    kind: "string",
    flag: "--namespace",
    env: ["BRIDGE_NAMESPACE"],
    description: "Namespace used when neither the client certificate nor the stream metadata names one.",
  }),
  durability: setting({
    schema: z.enum(["disk", "memory"]).default("disk"),
    kind: "enum",
    flag: "--durability",
    env: ["BRIDGE_DURABILITY"],
    description: "`disk` (SQLite spool) or `memory` (lost on exit; for tests and demos).",
  }),
  spoolDir: setting({
    schema: nonEmpty().default("./data"),
    kind: "string",
    flag: "--spool-dir",
    env: ["BRIDGE_SPOOL_DIR"],
    description: "Directory of the spool database.",
  }),
  spoolMaxEvents: setting({
    schema: positiveInt().default(1_000_000),
    kind: "integer",
    flag: "--spool-max-events",
    env: ["BRIDGE_SPOOL_MAX_EVENTS"],
    description: "Spool bound, events; when full the sink stops reading.",
  }),
  spoolMaxBytes: setting({
    schema: positiveInt().default(1_073_741_824),
    kind: "integer",
    flag: "--spool-max-bytes",
    env: ["BRIDGE_SPOOL_MAX_BYTES"],
    description: "Spool bound, payload bytes; when full the sink stops reading.",
  }),
  spoolResetEmpty: setting({
    schema: onOff(),
    kind: "enum",
    flag: "--spool-reset-empty",
    env: ["BRIDGE_SPOOL_RESET_EMPTY"],
    description:
      "`true`: initialise a spool file truncated to 0 bytes (its events are lost) instead of refusing to start (exit code 2).",
  }),
  spoolAllowSymlink: setting({
    schema: onOff(),
    kind: "enum",
    flag: "--spool-allow-symlink",
    env: ["BRIDGE_SPOOL_ALLOW_SYMLINK"],
    description:
      "`true`: accept a spool directory, database or lock file that is a symbolic link (refused by default, exit code 2).",
  }),
  maxInMemoryEvents: setting({
    schema: positiveInt().default(10_000),
    kind: "integer",
    flag: "--max-in-memory-events",
    env: ["BRIDGE_MAX_IN_MEMORY_EVENTS"],
    description: "Events held in memory for delivery (the window).",
  }),
  ordering: setting({
    schema: z.enum(["key", "none"]).default("key"),
    kind: "enum",
    flag: "--ordering",
    env: ["BRIDGE_ORDERING"],
    description: "`key`: in order per partition key; `none`: no order.",
  }),
  retry: {
    description: "Retry policy of publishing (docs/contract.md §5).",
    children: retrySettings,
    schema: z.strictObject(shapeOf(retrySettings)).prefault({}),
  },
  batch: {
    description: "Publishing batches (the bulk API).",
    children: batchSettings,
    schema: z.strictObject(shapeOf(batchSettings)).prefault({}),
  },
  drainTimeoutMs: setting({
    schema: durationMs({ min: 0 }).default(20_000),
    kind: "duration",
    flag: "--drain-timeout",
    env: ["BRIDGE_DRAIN_TIMEOUT_MS"],
    description: "Time to drain publishes on shutdown.",
  }),
  routes: setting({
    schema: z.array(routeSchema).readonly().default([]),
    kind: "list",
    description:
      "Ordered routes (file only); the first whose filter matches decides; none matching means the default route.",
  }),
  metricsListen: setting({
    schema: z.union([z.literal(""), hostPort(0)]).default("127.0.0.1:9464"),
    kind: "string",
    flag: "--metrics-listen",
    env: ["BRIDGE_METRICS_LISTEN"],
    allowEmpty: true,
    description: 'Metrics and health HTTP listener HOST:PORT; "" disables it.',
  }),
  logLevel: setting({
    schema: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    kind: "enum",
    flag: "--log-level",
    env: ["BRIDGE_LOG_LEVEL"],
    description: "Log level: fatal, error, warn, info, debug, trace or silent.",
  }),
  tls: {
    description: "mTLS on the sink: all three files, or none.",
    children: tlsSettings,
    schema: z.strictObject(shapeOf(tlsSettings)).prefault({}).transform(tlsOrNone),
  },
} satisfies Record<string, Setting | SettingGroup<SettingTable>>;

/** One leaf setting of {@link SETTINGS}, flattened with its key path. */
export interface SettingInfo extends SettingMeta {
  /** Key path in BridgeConfig, e.g. `["retry", "maxAttempts"]`. */
  readonly path: readonly string[];
  /** Dotted key, e.g. `retry.maxAttempts`. */
  readonly key: string;
  /** The group's description for nested settings. */
  readonly group?: string;
  readonly schema: z.ZodType;
}

function flatten(): SettingInfo[] {
  const out: SettingInfo[] = [];
  for (const [key, entry] of Object.entries(SETTINGS)) {
    if ("children" in entry) {
      for (const [child, s] of Object.entries(entry.children as Readonly<Record<string, Setting>>)) {
        out.push({ ...s, path: [key, child], key: `${key}.${child}`, group: key });
      }
    } else {
      out.push({ ...(entry as Setting), path: [key], key });
    }
  }
  return out;
}

/** Every leaf setting in table order: what the CLI, the environment loader and the docs iterate. */
export const SETTING_LIST: readonly SettingInfo[] = flatten();

/** The descriptions of the groups (`retry`, `batch`, `tls`), for docs. */
export const GROUP_DESCRIPTIONS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SETTINGS).flatMap(([key, entry]) => ("children" in entry ? [[key, entry.description]] : [])),
);

/** The keys a mapping at a config path takes (for "did you mean" hints); empty when unknown. */
export function knownKeysAt(path: readonly PropertyKey[]): readonly string[] {
  if (path.length === 0) return Object.keys(SETTINGS);
  const [first, second] = path;
  if (first === "routes" && typeof second === "number" && path.length === 2) return ROUTE_KEYS;
  const entry: unknown =
    path.length === 1 && typeof first === "string" && Object.hasOwn(SETTINGS, first)
      ? SETTINGS[first as keyof typeof SETTINGS]
      : undefined;
  return typeof entry === "object" &&
    entry !== null &&
    "children" in entry &&
    typeof entry.children === "object" &&
    entry.children !== null
    ? Object.keys(entry.children)
    : [];
}
