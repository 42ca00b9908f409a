import { CommunicationProtocolEnum, DaprClient, LogLevel } from "@dapr/dapr";
import * as grpc from "@grpc/grpc-js";
import { BridgeError, ErrorCode } from "../src/errors/bridge-error.js";
import { bridgeType, SINK_METHODS, SINK_SERVICE, TypeName } from "../src/proto/protos.js";
import { wallClockMs } from "./stats.js";

/** The two sinks the bridge is compared with. */
export type BaselineMode = "ceiling" | "naive";

/** Options of {@link startBaselineSink}. */
export interface BaselineSinkOptions {
  readonly mode: BaselineMode;
  /** The dev sidecar's gRPC `HOST:PORT`; required by `naive`. */
  readonly daprGrpcEndpoint?: string;
  /** Pubsub the naive collector publishes to. @default "pubsub" */
  readonly pubsub?: string;
  /** Topic the naive collector publishes to. @default "dapr-events" */
  readonly topic?: string;
}

/** What a baseline sink has processed since its last reset. */
export interface BaselineReport {
  /** Frames fully processed (decoded; for `naive`, also published). */
  readonly processed: number;
  /** Per stream (its `dapr-app-id`), when each frame finished processing, wall-clock ms, in arrival order. */
  readonly arrivals: Readonly<Record<string, number[]>>;
}

/** A running baseline sink. */
export interface BaselineSink {
  /** The bound `HOST:PORT`. */
  readonly address: string;
  report(): BaselineReport;
  /** Forgets the arrivals (between phases). */
  reset(): void;
  close(): Promise<void>;
}

type Handler = (
  call: grpc.ServerReadableStream<Buffer, Record<string, never>>,
  callback: grpc.sendUnaryData<Record<string, never>>,
) => void;

/**
 * Starts a baseline sink on loopback port 0, speaking the real `SinkEventsAlpha` service:
 * - `ceiling` decodes each `EventRequest` with protobufjs and drops it: the Node gRPC limit;
 * - `naive` is a collector written without the bridge: for each event, an awaited
 *   `DaprClient.pubsub.publish` (gRPC) of the frame's bytes to the sidecar, no batching, no spool.
 * Both answer `EventResponse` once the stream ends and every frame is processed.
 */
export async function startBaselineSink(options: BaselineSinkOptions): Promise<BaselineSink> {
  const requestType = bridgeType(TypeName.EventRequest);
  const pubsub = options.pubsub ?? "pubsub";
  const topic = options.topic ?? "dapr-events";
  let dapr: DaprClient | undefined;
  if (options.mode === "naive") {
    const endpoint = options.daprGrpcEndpoint;
    if (endpoint === undefined)
      throw new BridgeError(
        ErrorCode.InvalidConfig,
        "the naive sink needs daprGrpcEndpoint (the dev sidecar's HOST:PORT)",
      );
    const colon = endpoint.lastIndexOf(":");
    dapr = new DaprClient({
      daprHost: endpoint.slice(0, colon),
      daprPort: endpoint.slice(colon + 1),
      communicationProtocol: CommunicationProtocolEnum.GRPC,
      logger: { level: LogLevel.Error },
    });
  }
  let processed = 0;
  let arrivals: Record<string, number[]> = {};
  const handler: Handler = (call, callback) => {
    const stream = String(call.metadata.get("dapr-app-id")[0] ?? "unknown");
    void (async () => {
      for await (const frame of call as AsyncIterable<Buffer>) {
        requestType.decode(frame);
        if (dapr !== undefined)
          // rawPayload: the frame's bytes reach the broker as they are, not in daprd's envelope.
          await dapr.pubsub.publish(pubsub, topic, frame, {
            contentType: "application/octet-stream",
            metadata: { rawPayload: "true" },
          });
        processed++;
        (arrivals[stream] ??= []).push(wallClockMs());
      }
    })().then(
      () => callback(null, {}),
      (error: unknown) =>
        callback({ code: grpc.status.INTERNAL, details: BridgeError.from(error, "the baseline sink failed").message }),
    );
  };
  const server = new grpc.Server();
  const definition: Record<string, grpc.ServiceDefinition[string]> = {};
  const implementation: grpc.UntypedServiceImplementation = {};
  for (const method of SINK_METHODS) {
    definition[method] = {
      path: `/${SINK_SERVICE}/${method}`,
      requestStream: true,
      responseStream: false,
      requestSerialize: (bytes: Buffer) => bytes,
      requestDeserialize: (bytes: Buffer) => bytes,
      responseSerialize: () => Buffer.alloc(0),
      responseDeserialize: () => ({}),
      originalName: method,
    };
    implementation[method] = handler as grpc.UntypedHandleCall;
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => {
      if (error === null) resolve(bound);
      else reject(BridgeError.from(error, "the baseline sink cannot listen on 127.0.0.1:0"));
    });
  });
  return {
    address: `127.0.0.1:${port}`,
    report: () => ({ processed, arrivals }),
    reset: () => {
      processed = 0;
      arrivals = {};
    },
    close: async () => {
      server.forceShutdown();
      await dapr?.stop();
    },
  };
}
