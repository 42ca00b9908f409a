import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { parseHostPort } from "../config/host-port.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import {
  daprMethodCodec,
  unaryMethodDefinition,
  type BulkPublishRequest,
  type BulkPublishResponse,
  type DaprRuntimeMethod,
  type DaprRuntimeMethods,
  type GetMetadataResponse,
  type MethodCodec,
  type PublishEventRequest,
} from "../publish/dapr-runtime-client.js";
import { PUBLISH_METHODS, sidecarHasMethod } from "../publish/runtime-version.js";
import { daprEnvelope, newTraceparent, parseGoBool } from "./dev-sidecar-envelope.js";
import {
  delay,
  faultMessage,
  mergeFaults,
  NO_FAULTS,
  seededRandom,
  type DevSidecarFaults,
} from "./dev-sidecar-faults.js";
import { SubscriberDelivery, type SubscriberStats } from "./dev-sidecar-subscribers.js";
import {
  ReceivedStore,
  type DevSidecarMethod,
  type ReceivedEvent,
  type TopicCount,
  type WaitCondition,
  type WaitForOptions,
} from "./dev-sidecar-store.js";

/** The daprd release the dev sidecar reports by default (GetMetadata `runtime_version`). */
export const DEV_SIDECAR_DAPR_VERSION = "1.18.2";

/** The app id of the dev sidecar: GetMetadata `id`, the `source` of the envelopes it makes. */
export const DEV_SIDECAR_APP_ID = "dev-sidecar";

/** What daprd's service-invocation proxy answers (UNKNOWN) for a runtime method the sidecar lacks. */
export const PROXY_MISSING_METHOD =
  "failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found";

/** Options of a {@link DevSidecar}. */
export interface DevSidecarOptions {
  /** Where to listen, `HOST:PORT`; port 0 picks a free port. @default "127.0.0.1:50001" */
  readonly listen?: string;
  /** When set, calls without this `dapr-api-token` metadata fail with UNAUTHENTICATED. */
  readonly apiToken?: string;
  /** Writes a line per received event on stdout. @default false */
  readonly print?: boolean;
  /**
   * The daprd release to behave as: GetMetadata reports it as `runtime_version`, and publish
   * methods that release lacks answer as daprd does, with the proxy's UNKNOWN "failed to proxy
   * request ..." (`BulkPublishEvent` before 1.17, `BulkPublishEventAlpha1` before 1.10). A
   * version that does not parse (`edge`) has every method.
   * @default "1.18.2"
   */
  readonly daprVersion?: string;
  /**
   * The app id it serves, as daprd's `--app-id`: GetMetadata's `id`, the `source` of the envelopes
   * it wraps, and the app id in a refused topic's message. @default "dev-sidecar"
   */
  readonly appId?: string;
  /** Faults injected from the start; change them later with {@link DevSidecar.setFaults}. @default none */
  readonly faults?: Partial<DevSidecarFaults>;
  /** Seed of the random draws of `failureRate`, for reproducible failure patterns. @default Date.now() */
  readonly seed?: number;
  /**
   * A subscriber app to deliver to, as daprd's `--app-port` names one: `http://127.0.0.1:PORT`.
   * At start the sidecar reads its programmatic subscriptions (`GET /dapr/subscribe`) and then
   * POSTs every event of a subscribed topic as daprd does (see {@link SubscriberDelivery}).
   * @default no app
   */
  readonly appUrl?: string;
  /** Sent to the app as `dapr-api-token` (daprd's `APP_API_TOKEN`). @default none */
  readonly appApiToken?: string;
}

/** Counters of a {@link DevSidecar}. */
export interface DevSidecarStats {
  /** Calls of any implemented method, GetMetadata included. */
  readonly calls: number;
  /** Publish calls that failed because of an injected fault. */
  readonly failuresInjected: number;
  /** Calls refused for a missing or wrong API token. */
  readonly unauthenticated: number;
  /** Events accepted. */
  readonly received: number;
}

type Handler = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => void;

/**
 * A stand-in Dapr sidecar for tests, demos and benchmarks: a real gRPC server of Dapr's runtime
 * service `dapr.proto.runtime.v1.Dapr`, built from Dapr's own `.proto`. It implements
 * `PublishEvent`, `BulkPublishEvent`, `BulkPublishEventAlpha1` and `GetMetadata` (which
 * `@dapr/dapr`'s DaprClient polls before its first call); every other method answers UNIMPLEMENTED.
 *
 * It behaves as real daprd does where a publisher can tell: it reads `rawPayload` from the
 * request's metadata only; without it, it stores what daprd would hand the broker (a
 * `com.dapr.event.sent` JSON envelope, or the client's JSON CloudEvent with daprd's fields, see
 * {@link daprEnvelope}); entry metadata is merged over the request's as daprd does; methods its
 * `daprVersion` lacks answer daprd's proxy UNKNOWN; a failed call answers an error, never
 * `failedEntries`; faults answer with daprd's codes and messages (a down broker: INTERNAL "error
 * when publishing to topic ..."; a topic refused: PERMISSION_DENIED "topic ... is not allowed for
 * app id ...").
 *
 * Faults (failure rate, latency, unavailability, broker down, rejected topics) apply per call: a
 * failed call stores nothing. Everything received is kept in memory, in arrival order, until
 * {@link clear}.
 */
export class DevSidecar {
  readonly #listen: string;
  readonly #apiToken: string | undefined;
  readonly #print: boolean;
  readonly #daprVersion: string;
  readonly #appId: string;
  readonly #random: () => number;
  readonly #store = new ReceivedStore();
  readonly #closing = new AbortController();
  #faults: DevSidecarFaults;
  #server: Server | undefined;
  readonly #subscribers: SubscriberDelivery | undefined;
  #stats = { calls: 0, failuresInjected: 0, unauthenticated: 0, received: 0 };

  constructor(options: DevSidecarOptions = {}) {
    this.#listen = options.listen ?? "127.0.0.1:50001";
    parseHostPort(this.#listen, "listen");
    this.#apiToken = options.apiToken;
    this.#print = options.print ?? false;
    this.#daprVersion = options.daprVersion ?? DEV_SIDECAR_DAPR_VERSION;
    this.#appId = options.appId ?? DEV_SIDECAR_APP_ID;
    this.#random = seededRandom(options.seed ?? Date.now());
    this.#faults = mergeFaults(NO_FAULTS, options.faults ?? {});
    this.#subscribers =
      options.appUrl === undefined
        ? undefined
        : new SubscriberDelivery({
            appUrl: options.appUrl,
            ...(options.appApiToken === undefined ? {} : { appApiToken: options.appApiToken }),
          });
  }

  /** Binds and starts serving. Resolves with the bound `HOST:PORT` (the real port when 0 was asked). */
  async start(): Promise<{ address: string }> {
    if (this.#server !== undefined) throw new BridgeError(ErrorCode.Internal, "the dev sidecar is already started");
    const server = new Server();
    const methods: DaprRuntimeMethod[] = ["GetMetadata", ...PUBLISH_METHODS];
    const definition: Record<string, ServiceDefinition[string]> = {};
    const implementation: UntypedServiceImplementation = {};
    for (const method of methods) {
      const codec = daprMethodCodec(method);
      definition[method] = { ...unaryMethodDefinition(codec as MethodCodec<unknown, unknown>), originalName: method };
      implementation[method] =
        method === "GetMetadata" || sidecarHasMethod(this.#daprVersion, method) ? this.#handler(method) : missingMethod;
    }
    server.addService(definition, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(this.#listen, ServerCredentials.createInsecure(), (error, bound) => {
        if (error === null) resolve(bound);
        else reject(BridgeError.from(error, `the dev sidecar cannot listen on ${this.#listen}`));
      });
    });
    this.#server = server;
    try {
      await this.#subscribers?.load();
    } catch (error) {
      await this.close();
      throw error;
    }
    const { host } = parseHostPort(this.#listen, "listen");
    return { address: `${host.includes(":") ? `[${host}]` : host}:${port}` };
  }

  /** Stops serving: pending (delayed) calls are cancelled, connections closed. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#subscribers?.close();
    const server = this.#server;
    this.#server = undefined;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.tryShutdown(() => resolve());
      // Calls still open are cut: this is a test double, not a graceful server.
      server.forceShutdown();
    });
  }

  /** The faults in force. */
  get faults(): DevSidecarFaults {
    return this.#faults;
  }

  /** Changes some faults; the others keep their values. Throws on out-of-range values. */
  setFaults(change: Partial<DevSidecarFaults>): void {
    this.#faults = mergeFaults(this.#faults, change);
  }

  /** Events received, in arrival order, optionally only those of one pubsub (and topic). */
  received(pubsub?: string, topic?: string): ReceivedEvent[] {
    return this.#store.list(pubsub, topic);
  }

  /** Events per pubsub and topic. */
  counts(): TopicCount[] {
    return this.#store.counts();
  }

  /** The counters. */
  stats(): DevSidecarStats {
    return { ...this.#stats };
  }

  /** Counters of the delivery to the subscriber app; undefined without `appUrl`. */
  deliveryStats(): SubscriberStats | undefined {
    return this.#subscribers?.stats();
  }

  /** Resolves once every event received so far has been delivered to the app (or given up). */
  async deliveredToApp(): Promise<void> {
    await this.#subscribers?.idle();
  }

  /** Forgets the events received (counters are kept). */
  clear(): void {
    this.#store.clear();
  }

  /** Waits until `condition` holds over the events received; see {@link ReceivedStore.waitFor}. */
  waitFor(condition: WaitCondition, options?: WaitForOptions): Promise<ReceivedEvent[]> {
    return this.#store.waitFor(condition, options);
  }

  #handler(method: DaprRuntimeMethod): Handler {
    return (call, callback) => {
      this.#stats.calls += 1;
      const token = call.metadata.get("dapr-api-token")[0];
      if (this.#apiToken !== undefined && token !== this.#apiToken) {
        this.#stats.unauthenticated += 1;
        callback({ code: GrpcStatus.UNAUTHENTICATED, details: "missing or wrong dapr-api-token" });
        return;
      }
      if (method === "GetMetadata") {
        const response: GetMetadataResponse = { id: this.#appId, runtime_version: this.#daprVersion };
        callback(null, response);
        return;
      }
      this.#publish(method, call.request as DaprRuntimeMethods[typeof method]["request"], call).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const status =
            error instanceof InjectedFault
              ? error.status
              : error instanceof BridgeError && error.code === ErrorCode.Rejected
                ? GrpcStatus.INVALID_ARGUMENT
                : GrpcStatus.CANCELLED;
          callback({ code: status, details: error instanceof Error ? error.message : String(error) });
        },
      );
    };
  }

  async #publish(
    method: DevSidecarMethod,
    request: PublishEventRequest | BulkPublishRequest,
    call: ServerUnaryCall<unknown, unknown>,
  ): Promise<BulkPublishResponse | Record<string, never>> {
    const faults = this.#faults;
    const { pubsub_name: pubsub, topic } = request;
    if (faults.unavailable) this.#inject(GrpcStatus.UNAVAILABLE, "the dev sidecar is set unavailable");
    if (faults.latencyMs > 0) {
      const cancelled = new AbortController();
      call.once("cancelled", () => cancelled.abort());
      await delay(faults.latencyMs, AbortSignal.any([cancelled.signal, this.#closing.signal]));
    }
    // daprd reads rawPayload from the request's metadata only, for bulk and single publishes.
    const rawText = request.metadata["rawPayload"];
    const raw = rawText === undefined || rawText === "" ? false : parseGoBool(rawText);
    if (raw === undefined) {
      this.#inject(
        GrpcStatus.INVALID_ARGUMENT,
        `failed deserializing metadata. Error: rawPayload value must be a valid boolean: actual is '${rawText ?? ""}'`,
      );
    }
    const rejected = faults.rejectTopics[topic];
    if (rejected !== undefined) this.#inject(rejected, faultMessage(rejected, pubsub, topic, this.#appId));
    if (faults.brokerDown)
      this.#inject(GrpcStatus.INTERNAL, faultMessage(GrpcStatus.INTERNAL, pubsub, topic, this.#appId));
    if (faults.failureRate > 0 && this.#random() < faults.failureRate) {
      this.#inject(faults.failureCode, faultMessage(faults.failureCode, pubsub, topic, this.#appId));
    }
    const receivedAt = Date.now();
    const published = (data: Uint8Array, contentType: string, metadata: Readonly<Record<string, string>>): Buffer =>
      raw
        ? Buffer.from(data)
        : daprEnvelope({
            data,
            contentType,
            topic,
            pubsub,
            appId: this.#appId,
            metadata,
            traceparent: newTraceparent(),
          });
    // Envelopes are made before anything is stored: a call that cannot be wrapped stores nothing.
    const events: ReceivedEvent[] =
      "entries" in request
        ? request.entries.map((entry) => {
            // daprd merges request metadata under an entry's own (entry keys win), and only when the entry has some.
            const metadata = Object.keys(entry.metadata).length > 0 ? { ...request.metadata, ...entry.metadata } : {};
            return {
              pubsub,
              topic,
              data: published(entry.event, entry.content_type, metadata),
              contentType: entry.content_type,
              metadata,
              raw,
              method,
              entryId: entry.entry_id,
              receivedAt,
            };
          })
        : [
            {
              pubsub,
              topic,
              data: published(request.data, request.data_content_type, request.metadata),
              contentType: request.data_content_type,
              // With rawPayload daprd adds its trace context to the metadata handed to the component.
              metadata: raw
                ? { ...request.metadata, traceid: newTraceparent(), tracestate: "" }
                : { ...request.metadata },
              raw,
              method,
              receivedAt,
            },
          ];
    // daprd's bulk publish for a component without a bulk API of its own (Redis, RabbitMQ, JetStream,
    // ...) publishes the entries in parallel: the broker gets them in no guaranteed order. Shuffle
    // them (seeded) so that a publisher relying on that order fails here too.
    if ("entries" in request) shuffle(events, this.#random);
    this.#stats.received += events.length;
    this.#store.add(events);
    this.#subscribers?.enqueue(events);
    if (this.#print) for (const event of events) process.stdout.write(printLine(event));
    return method === "PublishEvent" ? {} : { failedEntries: [] };
  }

  #inject(status: GrpcStatus, message: string): never {
    this.#stats.failuresInjected += 1;
    throw new InjectedFault(status, message);
  }
}

/** Fisher–Yates, in place, with the given random source. */
function shuffle<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const item = items[i] as T;
    items[i] = items[j] as T;
    items[j] = item;
  }
}

/** How daprd answers a runtime method it lacks: its service-invocation proxy fails with UNKNOWN. */
const missingMethod: Handler = (_call, callback) => {
  callback({ code: GrpcStatus.UNKNOWN, details: PROXY_MISSING_METHOD });
};

/** A fault the sidecar answers with, as a gRPC status. */
class InjectedFault extends Error {
  override readonly name = "InjectedFault";
  constructor(
    readonly status: GrpcStatus,
    message: string,
  ) {
    super(message);
  }
}

function printLine(event: ReceivedEvent): string {
  const key = event.metadata["partitionKey"];
  const keyPart = key === undefined ? "" : ` key=${key}`;
  return `${new Date(event.receivedAt).toISOString()} ${event.method} ${event.pubsub}/${event.topic} ${event.contentType} ${event.data.length}B${keyPart}\n`;
}
