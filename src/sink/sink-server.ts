import * as grpc from "@grpc/grpc-js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { SINK_METHODS, SINK_SERVICE } from "../proto/protos.js";
import type { Logger } from "../observability/logger.js";
import { parseHostPort } from "./listen-address.js";

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
}

const passThrough = (value: Buffer): Buffer => value;
/** `EventResponse` has no fields: its encoding is empty. */
const EMPTY = Buffer.alloc(0);

/**
 * The gRPC server of `dapr.proto.events.v1alpha1.SinkEventsAlpha`, serving both RPC names.
 * Frames reach the handler as raw bytes: decoding is the handler's, so a bad frame never
 * breaks the stream.
 */
export class SinkServer {
  private readonly server: grpc.Server;
  private readonly options: SinkServerOptions;
  private boundAddress: string | undefined;

  constructor(options: SinkServerOptions) {
    this.options = options;
    this.server = new grpc.Server({
      "grpc.max_receive_message_length": options.maxMessageBytes,
      "grpc.max_send_message_length": 1024,
    });
    const definition: Record<string, grpc.MethodDefinition<Buffer, Buffer>> = {};
    const implementation: grpc.UntypedServiceImplementation = {};
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
      implementation[method] = options.handler;
    }
    this.server.addService(definition, implementation);
  }

  /** The bound HOST:PORT once started. */
  get address(): string | undefined {
    return this.boundAddress;
  }

  /** Binds and starts serving; resolves with the bound HOST:PORT. */
  async start(): Promise<string> {
    const { host } = parseHostPort(this.options.listen, "listen");
    const credentials = this.options.credentials ?? grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(this.options.listen, credentials, (error, bound) => {
        if (error !== null) {
          reject(
            new BridgeError(
              ErrorCode.InvalidConfig,
              `the sink could not listen on ${this.options.listen}: ${error.message}. Choose a free address with --listen.`,
              { cause: error },
            ),
          );
        } else resolve(bound);
      });
    });
    this.boundAddress = `${host.includes(":") ? `[${host}]` : host}:${port}`;
    this.options.logger.info({ address: this.boundAddress }, "sink listening");
    return this.boundAddress;
  }

  /** Stops taking new streams and waits for the open ones to end, at most `graceMs`; then forces them. */
  async stop(graceMs: number): Promise<void> {
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
    this.server.forceShutdown();
  }
}
