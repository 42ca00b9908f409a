import * as grpc from "@grpc/grpc-js";
import { SINK_METHODS, SINK_SERVICE } from "../proto/protos.js";
import type { Logger } from "../observability/logger.js";
import { ConnectionListener } from "./connection-listener.js";
import { parseHostPort } from "../config/host-port.js";
import { resetAfterStatus } from "./stream-reset.js";
import {
  grpcServerOptions,
  resolveSinkLimits,
  StreamGate,
  streamLimitError,
  type SinkLimitName,
  type SinkLimits,
  type SinkLimitsOptions,
} from "./sink-limits.js";

/** Handles one inbound client stream of raw `EventRequest` frames. */
export type StreamHandler = (
  call: grpc.ServerReadableStream<Buffer, Buffer>,
  callback: grpc.sendUnaryData<Buffer>,
) => void;

/** Options of a {@link SinkServer}. */
export interface SinkServerOptions {
  /** HOST:PORT; port 0 picks a free port. */
  readonly listen: string;
  /** Largest inbound message, bytes; larger ones end their stream with RESOURCE_EXHAUSTED. */
  readonly maxMessageBytes: number;
  /** TLS (mTLS) credentials of the sink. @default insecure: plaintext on the listen address */
  readonly credentials?: grpc.ServerCredentials;
  readonly handler: StreamHandler;
  readonly logger: Logger;
  /** Streams, connections, keepalive and idle limits. @default the defaults of {@link SinkLimitsOptions} */
  readonly limits?: SinkLimitsOptions;
  /** Called once per stream or connection refused by a limit (metrics). */
  readonly onRefused?: (limit: SinkLimitName) => void;
}

const passThrough = (value: Buffer): Buffer => value;
/** `EventResponse` has no fields: its encoding is empty. */
const EMPTY = Buffer.alloc(0);
/** At most one warning about refused streams per this many ms (each carries the count since the last). */
const WARN_EVERY_MS = 10_000;

/**
 * The gRPC server of `dapr.proto.events.v1alpha1.SinkEventsAlpha`, serving both RPC names.
 * Frames reach the handler as raw bytes: decoding is the handler's, so a bad frame never
 * breaks the stream.
 */
export class SinkServer {
  private readonly server: grpc.Server;
  private readonly options: SinkServerOptions;
  private readonly gate: StreamGate;
  private listener: ConnectionListener | undefined;
  private boundAddress: string | undefined;
  /** The limits in force, defaults filled in. */
  readonly limits: SinkLimits;

  constructor(options: SinkServerOptions) {
    this.options = options;
    this.limits = resolveSinkLimits(options.limits ?? {}, options.maxMessageBytes);
    this.gate = new StreamGate(this.limits.streamLimit);
    this.server = new grpc.Server(grpcServerOptions(this.limits, options.maxMessageBytes));
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
    const gated = this.gated(options.handler);
    for (const method of SINK_METHODS) {
      definition[method] = {
        path: `/${SINK_SERVICE}/${method}`,
        requestStream: true,
        responseStream: false,
        requestSerialize: passThrough,
        requestDeserialize: passThrough,
        responseSerialize: () => EMPTY,
        responseDeserialize: passThrough,
      };
      implementation[method] = gated;
    }
    this.server.addService(definition, implementation);
  }

  /** Streams open now (holding a slot of the stream limit). */
  get openStreams(): number {
    return this.gate.size;
  }

  /** The bound HOST:PORT once started. */
  get address(): string | undefined {
    return this.boundAddress;
  }

  /** Binds and starts serving; resolves with the bound HOST:PORT. */
  async start(): Promise<string> {
    const address = parseHostPort(this.options.listen, "listen");
    const credentials = this.options.credentials ?? grpc.ServerCredentials.createInsecure();
    // Our own TCP listener feeds the gRPC server: it is what bounds the connections.
    this.listener = new ConnectionListener({
      address,
      maxConnections: this.limits.maxConnections,
      injector: this.server.createConnectionInjector(credentials),
      onRefused: () => this.options.onRefused?.("connections"),
      logger: this.options.logger,
    });
    const port = await this.listener.listen();
    const { host } = address;
    this.boundAddress = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    const { maxConnections, maxStreamsPerConnection, streamLimit, streamLimitBy, idleTimeoutMs, keepaliveTimeMs } =
      this.limits;
    this.options.logger.info(
      {
        address: this.boundAddress,
        maxConnections,
        maxStreamsPerConnection,
        streamLimit,
        streamLimitBy,
        idleTimeoutMs,
        keepaliveTimeMs,
      },
      "sink listening",
    );
    return this.boundAddress;
  }

  /** Stops taking new streams and waits for the open ones to end, at most `graceMs`; then forces them. */
  async stop(graceMs: number): Promise<void> {
    this.listener?.close();
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(force);
        resolve();
      });
    });
  }

  /** Ends everything at once. */
  forceStop(): void {
    this.listener?.close();
    this.server.forceShutdown();
  }

  /** The handler behind the stream limit: a stream beyond it ends at once with RESOURCE_EXHAUSTED. */
  private gated(handler: StreamHandler): StreamHandler {
    let lastWarn = -Infinity;
    let refusedSinceWarn = 0;
    // One error for every refusal: a flood of refused streams must not cost an Error (and its stack) each.
    const reason = streamLimitError(this.limits, this.options.maxMessageBytes);
    return (call, callback) => {
      const release = this.gate.tryAcquire();
      if (release === undefined) {
        this.options.onRefused?.(this.limits.streamLimitBy);
        refusedSinceWarn++;
        if (performance.now() - lastWarn >= WARN_EVERY_MS) {
          lastWarn = performance.now();
          this.options.logger.warn({ refused: refusedSinceWarn, limit: this.limits.streamLimit }, reason.message);
          refusedSinceWarn = 0;
        }
        callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: reason.message });
        resetAfterStatus(call);
        return;
      }
      call.once("cancelled", release);
      handler(call, (error, value) => {
        release();
        call.off("cancelled", release);
        callback(error, value);
        // A stream that failed may still be open on the client's side: free it now.
        if (error !== null) resetAfterStatus(call);
      });
    };
  }
}
