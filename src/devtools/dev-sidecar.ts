import {
  Server,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import {
  daprMethodCodec,
  type BulkPublishRequest,
  type BulkPublishResponse,
  type DaprRuntimeMethod,
  type DaprRuntimeMethods,
  type GetMetadataResponse,
  type PublishEventRequest,
} from "../publish/dapr-runtime-client.js";
import { delay, mergeFaults, NO_FAULTS, seededRandom, type DevSidecarFaults } from "./dev-sidecar-faults.js";
import {
  ReceivedStore,
  type DevSidecarMethod,
  type ReceivedEvent,
  type TopicCount,
  type WaitCondition,
  type WaitForOptions,
} from "./dev-sidecar-store.js";

/** Which bulk methods the dev sidecar offers, to exercise a publisher's fallbacks. */
export type BulkMethods = "both" | "alpha-only" | "none";

/** Options of a {@link DevSidecar}. */
export interface DevSidecarOptions {
  /** Where to listen, `HOST:PORT`; port 0 picks a free port. @default "127.0.0.1:50001" */
  readonly listen?: string;
  /** When set, calls without this `dapr-api-token` metadata fail with UNAUTHENTICATED. */
  readonly apiToken?: string;
  /** Writes a line per received event on stdout. @default false */
  readonly print?: boolean;
  /** Bulk methods offered; the others answer UNIMPLEMENTED. @default "both" */
  readonly bulkMethods?: BulkMethods;
  /** Faults injected from the start; change them later with {@link DevSidecar.setFaults}. @default none */
  readonly faults?: Partial<DevSidecarFaults>;
  /** Seed of the random draws of `failureRate`, for reproducible failure patterns. @default Date.now() */
  readonly seed?: number;
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

function parseListen(listen: string): string {
  const colon = listen.lastIndexOf(":");
  const port = Number(listen.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new BridgeError(ErrorCode.InvalidConfig, `listen: expected HOST:PORT with a port from 0 to 65535, got "${listen}"`);
  }
  return listen;
}

/**
 * A stand-in Dapr sidecar for tests, demos and benchmarks: a real gRPC server of Dapr's runtime
 * service `dapr.proto.runtime.v1.Dapr`, built from Dapr's own `.proto`. It implements
 * `PublishEvent`, `BulkPublishEvent`, `BulkPublishEventAlpha1` and `GetMetadata` (which
 * `@dapr/dapr`'s DaprClient polls before its first call); every other method answers UNIMPLEMENTED.
 *
 * Faults (failure rate, latency, unavailability, rejected topics) apply per call: a failed call
 * stores nothing. Everything received is kept in memory, in arrival order, until {@link clear}.
 */
export class DevSidecar {
  readonly #listen: string;
  readonly #apiToken: string | undefined;
  readonly #print: boolean;
  readonly #bulkMethods: BulkMethods;
  readonly #random: () => number;
  readonly #store = new ReceivedStore();
  readonly #closing = new AbortController();
  #faults: DevSidecarFaults;
  #server: Server | undefined;
  #stats = { calls: 0, failuresInjected: 0, unauthenticated: 0, received: 0 };

  constructor(options: DevSidecarOptions = {}) {
    this.#listen = parseListen(options.listen ?? "127.0.0.1:50001");
    this.#apiToken = options.apiToken;
    this.#print = options.print ?? false;
    this.#bulkMethods = options.bulkMethods ?? "both";
    this.#random = seededRandom(options.seed ?? Date.now());
    this.#faults = mergeFaults(NO_FAULTS, options.faults ?? {});
  }

  /** Binds and starts serving. Resolves with the bound `HOST:PORT` (the real port when 0 was asked). */
  async start(): Promise<{ address: string }> {
    if (this.#server !== undefined) throw new BridgeError(ErrorCode.Internal, "the dev sidecar is already started");
    const server = new Server();
    const methods: DaprRuntimeMethod[] = ["PublishEvent", "GetMetadata"];
    if (this.#bulkMethods === "both") methods.push("BulkPublishEvent", "BulkPublishEventAlpha1");
    if (this.#bulkMethods === "alpha-only") methods.push("BulkPublishEventAlpha1");
    const definition: Record<string, ServiceDefinition[string]> = {};
    const implementation: UntypedServiceImplementation = {};
    for (const method of methods) {
      const codec = daprMethodCodec(method);
      definition[method] = {
        path: codec.path,
        requestStream: false,
        responseStream: false,
        requestSerialize: codec.serializeRequest,
        requestDeserialize: codec.deserializeRequest,
        responseSerialize: codec.serializeResponse,
        responseDeserialize: codec.deserializeResponse,
        originalName: method,
      };
      implementation[method] = this.#handler(method);
    }
    server.addService(definition, implementation);
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(this.#listen, ServerCredentials.createInsecure(), (error, bound) => {
        if (error === null) resolve(bound);
        else reject(BridgeError.from(error, `the dev sidecar cannot listen on ${this.#listen}`));
      });
    });
    this.#server = server;
    const host = this.#listen.slice(0, this.#listen.lastIndexOf(":"));
    return { address: `${host}:${port}` };
  }

  /** Stops serving: pending (delayed) calls are cancelled, connections closed. */
  async close(): Promise<void> {
    this.#closing.abort();
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
        const response: GetMetadataResponse = { id: "dev-sidecar", runtime_version: "dev-sidecar" };
        callback(null, response);
        return;
      }
      this.#publish(method, call.request as DaprRuntimeMethods[typeof method]["request"], call).then(
        (response) => callback(null, response),
        (error: unknown) => {
          const status = error instanceof InjectedFault ? error.status : GrpcStatus.CANCELLED;
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
    if (faults.unavailable) this.#inject(GrpcStatus.UNAVAILABLE, "the dev sidecar is set unavailable");
    if (faults.latencyMs > 0) {
      const cancelled = new AbortController();
      call.once("cancelled", () => cancelled.abort());
      await delay(faults.latencyMs, AbortSignal.any([cancelled.signal, this.#closing.signal]));
    }
    const rejected = faults.rejectTopics[request.topic];
    if (rejected !== undefined) this.#inject(rejected, `the dev sidecar rejects topic ${request.topic}`);
    if (faults.failureRate > 0 && this.#random() < faults.failureRate) {
      this.#inject(faults.failureCode, `injected failure (rate ${faults.failureRate})`);
    }
    const receivedAt = Date.now();
    const events: ReceivedEvent[] =
      "entries" in request
        ? request.entries.map((entry) => ({
            pubsub: request.pubsub_name,
            topic: request.topic,
            data: Buffer.from(entry.event),
            contentType: entry.content_type,
            // Dapr lets request-level metadata override entry metadata (DESIGN.md §4).
            metadata: { ...entry.metadata, ...request.metadata },
            method,
            entryId: entry.entry_id,
            receivedAt,
          }))
        : [
            {
              pubsub: request.pubsub_name,
              topic: request.topic,
              data: Buffer.from(request.data),
              contentType: request.data_content_type,
              metadata: { ...request.metadata },
              method,
              receivedAt,
            },
          ];
    this.#stats.received += events.length;
    this.#store.add(events);
    if (this.#print) for (const event of events) process.stdout.write(printLine(event));
    return method === "PublishEvent" ? {} : { failedEntries: [] };
  }

  #inject(status: GrpcStatus, message: string): never {
    this.#stats.failuresInjected += 1;
    throw new InjectedFault(status, message);
  }
}

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
