import { Client, credentials, Metadata, type MethodDefinition, type ServiceError } from "@grpc/grpc-js";
import type protobuf from "protobufjs";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { sidecarError } from "./redact.js";
import { daprRuntimeProtos } from "../proto/protos.js";
import {
  encodeBulkPublishRequest,
  type BulkPublishRequest,
  type BulkPublishRequestEntry,
} from "./bulk-publish-encoding.js";

export type { BulkPublishRequest, BulkPublishRequestEntry };
import { parseDaprEndpoint } from "./dapr-endpoint.js";

/** The Dapr runtime service, as named in Dapr's `dapr.proto`. */
export const DAPR_RUNTIME_SERVICE = "dapr.proto.runtime.v1.Dapr";

/** `PublishEventRequest` of the runtime API (field names as in the `.proto`). */
export interface PublishEventRequest {
  readonly pubsub_name: string;
  readonly topic: string;
  readonly data: Uint8Array;
  readonly data_content_type: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** One failed entry of a `BulkPublishResponse` (the `.proto` spells the list `failedEntries`). */
export interface BulkPublishResponseFailedEntry {
  readonly entry_id: string;
  readonly error: string;
}

/** `BulkPublishResponse`. */
export interface BulkPublishResponse {
  readonly failedEntries: readonly BulkPublishResponseFailedEntry[];
}

/** The part of `GetMetadataResponse` the bridge reads. */
export interface GetMetadataResponse {
  readonly id: string;
  readonly runtime_version: string;
}

/** The runtime methods the bridge calls, with their request and response shapes. */
export interface DaprRuntimeMethods {
  PublishEvent: { request: PublishEventRequest; response: Record<string, never> };
  BulkPublishEvent: { request: BulkPublishRequest; response: BulkPublishResponse };
  BulkPublishEventAlpha1: { request: BulkPublishRequest; response: BulkPublishResponse };
  GetMetadata: { request: Record<string, never>; response: GetMetadataResponse };
}

/** Name of a runtime method the bridge calls. */
export type DaprRuntimeMethod = keyof DaprRuntimeMethods;

/** Protobuf (de)serializers of one runtime method, from Dapr's own `.proto`. */
export interface MethodCodec<Req, Res> {
  readonly path: string;
  readonly serializeRequest: (value: Req) => Buffer;
  readonly deserializeRequest: (bytes: Buffer) => Req;
  readonly serializeResponse: (value: Res) => Buffer;
  readonly deserializeResponse: (bytes: Buffer) => Res;
}

function encoder<T>(type: protobuf.Type): (value: T) => Buffer {
  // The request interfaces above already hold wire types (Uint8Array for bytes, plain objects
  // for maps), so encode them directly: no fromObject copy on the publish path.
  return (value) => {
    const bytes = type.encode(value as Record<string, unknown>).finish();
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function decoder<T>(type: protobuf.Type): (bytes: Buffer) => T {
  // defaults: absent fields read as "", [] and {} so the interfaces above hold.
  return (bytes) => type.toObject(type.decode(bytes), { defaults: true }) as T;
}

const codecs = new Map<string, MethodCodec<unknown, unknown>>();

/** The methods whose request is a `BulkPublishRequest`. */
const BULK_METHODS: ReadonlySet<string> = new Set(["BulkPublishEvent", "BulkPublishEventAlpha1"]);

/**
 * The codec of a runtime method (any method of `dapr.proto.runtime.v1.Dapr`), built from
 * Dapr's `.proto` shipped by `@dapr/dapr` and cached. Shared by the client and the dev sidecar.
 */
export function daprMethodCodec<M extends DaprRuntimeMethod>(
  method: M,
): MethodCodec<DaprRuntimeMethods[M]["request"], DaprRuntimeMethods[M]["response"]>;
export function daprMethodCodec(method: string): MethodCodec<unknown, unknown>;
export function daprMethodCodec(method: string): MethodCodec<unknown, unknown> {
  let codec = codecs.get(method);
  if (codec === undefined) {
    const rpc = daprRuntimeProtos().lookupService(DAPR_RUNTIME_SERVICE).methods[method];
    if (rpc === undefined) throw new BridgeError(ErrorCode.Internal, `${DAPR_RUNTIME_SERVICE} has no method ${method}`);
    rpc.resolve();
    const req = rpc.resolvedRequestType;
    const res = rpc.resolvedResponseType;
    if (req === null || res === null)
      throw new BridgeError(ErrorCode.Internal, `cannot resolve the types of ${method}`);
    codec = {
      path: `/${DAPR_RUNTIME_SERVICE}/${method}`,
      // The bulk requests, the publish path's bulk of encoding, have a writer of their own (same bytes).
      serializeRequest: BULK_METHODS.has(method)
        ? (encodeBulkPublishRequest as (value: unknown) => Buffer)
        : encoder(req),
      deserializeRequest: decoder(req),
      serializeResponse: encoder(res),
      deserializeResponse: decoder(res),
    };
    codecs.set(method, codec);
  }
  return codec;
}

/** The runtime methods that publish: their INTERNAL is a broker failure (see `ClassifyOptions.call`). */
const PUBLISH_METHODS: ReadonlySet<DaprRuntimeMethod> = new Set<DaprRuntimeMethod>([
  "PublishEvent",
  "BulkPublishEvent",
  "BulkPublishEventAlpha1",
]);
const PUBLISH_CALL = { call: "publish" } as const;

/** The grpc-js server definition of a unary runtime method, from its codec (for stand-in sidecars). */
export function unaryMethodDefinition<Req, Res>(codec: MethodCodec<Req, Res>): MethodDefinition<Req, Res> {
  return {
    path: codec.path,
    requestStream: false,
    responseStream: false,
    requestSerialize: codec.serializeRequest,
    requestDeserialize: codec.deserializeRequest,
    responseSerialize: codec.serializeResponse,
    responseDeserialize: codec.deserializeResponse,
  };
}

/** Options of a {@link DaprRuntimeClient}. */
export interface DaprRuntimeClientOptions {
  /**
   * The sidecar's gRPC endpoint: `HOST:PORT` or `http://HOST:PORT` (plaintext), `https://HOST:PORT`
   * or `HOST:PORT?tls=true` (TLS, verified against the system's CA certificates), or a gRPC target
   * such as `dns:HOST:PORT` (see `parseDaprEndpoint`).
   */
  readonly endpoint: string;
  /** Sent as `dapr-api-token` metadata on every call when set. Never logged. */
  readonly apiToken?: string;
  /** Deadline of every call, in milliseconds. @default 5000 */
  readonly timeoutMs?: number;
}

/**
 * A gRPC client of the Dapr runtime API (`dapr.proto.runtime.v1.Dapr`), limited to the methods
 * the bridge uses. Every call has a deadline and carries `dapr-api-token` when a token is set.
 * Every failure rejects with a BridgeError built by `BridgeError.from`, so the code (and whether
 * to retry) is decided in one place.
 */
export class DaprRuntimeClient {
  /** The endpoint as configured, for messages. */
  readonly endpoint: string;
  readonly #client: Client;
  readonly #apiToken: string | undefined;
  readonly #timeoutMs: number;

  constructor(options: DaprRuntimeClientOptions) {
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new BridgeError(
        ErrorCode.InvalidConfig,
        `timeoutMs: expected a positive number of milliseconds, got ${timeoutMs}`,
      );
    }
    const target = parseDaprEndpoint(options.endpoint);
    this.endpoint = options.endpoint;
    this.#apiToken = options.apiToken;
    this.#timeoutMs = timeoutMs;
    this.#client = new Client(target.address, target.tls ? credentials.createSsl() : credentials.createInsecure());
  }

  /** Publishes one event (`PublishEvent`). */
  async publishEvent(request: PublishEventRequest, signal?: AbortSignal): Promise<void> {
    await this.call("PublishEvent", request, signal);
  }

  /** Publishes entries in one call (`BulkPublishEvent`, daprd 1.17 and later). */
  bulkPublishEvent(request: BulkPublishRequest, signal?: AbortSignal): Promise<BulkPublishResponse> {
    return this.call("BulkPublishEvent", request, signal);
  }

  /** Publishes entries in one call (`BulkPublishEventAlpha1`, every supported daprd). */
  bulkPublishEventAlpha1(request: BulkPublishRequest, signal?: AbortSignal): Promise<BulkPublishResponse> {
    return this.call("BulkPublishEventAlpha1", request, signal);
  }

  /** Reads the sidecar's metadata (`GetMetadata`): the cheapest call that proves it is up. */
  getMetadata(signal?: AbortSignal): Promise<GetMetadataResponse> {
    return this.call("GetMetadata", {}, signal);
  }

  /** Closes the channel; calls in flight are cancelled. */
  close(): void {
    this.#client.close();
  }

  /** Makes one unary call with the deadline, the token and the signal. */
  call<M extends DaprRuntimeMethod>(
    method: M,
    request: DaprRuntimeMethods[M]["request"],
    signal?: AbortSignal,
  ): Promise<DaprRuntimeMethods[M]["response"]> {
    const context = `${method} to ${this.endpoint}`;
    if (signal?.aborted === true) {
      return Promise.reject(
        new BridgeError(ErrorCode.Aborted, `${context}: cancelled before it started`, { cause: signal.reason }),
      );
    }
    const codec = daprMethodCodec(method);
    const metadata = new Metadata();
    if (this.#apiToken !== undefined) metadata.set("dapr-api-token", this.#apiToken);
    return new Promise((resolve, reject) => {
      const onAbort = (): void => call.cancel();
      const call = this.#client.makeUnaryRequest(
        codec.path,
        codec.serializeRequest,
        codec.deserializeResponse,
        request,
        metadata,
        { deadline: Date.now() + this.#timeoutMs },
        (error: ServiceError | null, response?: DaprRuntimeMethods[M]["response"]) => {
          signal?.removeEventListener("abort", onAbort);
          if (error !== null)
            reject(
              sidecarError(error, this.#apiToken, context, PUBLISH_METHODS.has(method) ? PUBLISH_CALL : undefined),
            );
          else if (response === undefined) reject(new BridgeError(ErrorCode.Internal, `${context}: no response`));
          else resolve(response);
        },
      );
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
