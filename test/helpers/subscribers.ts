import { createServer, type IncomingHttpHeaders, type Server as HttpServer } from "node:http";
import {
  Server as GrpcServer,
  ServerCredentials,
  status as GrpcStatus,
  type sendUnaryData,
  type ServerUnaryCall,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import protobuf from "protobufjs";
import { existsSync } from "node:fs";
import path from "node:path";
import { DAPR_PROTO_DIR } from "../../src/proto/protos.js";

/** One delivery an app received from its sidecar. */
export interface AppDelivery {
  /** HTTP: the request path; gRPC: the `path` of `TopicEventRequest`. */
  readonly route: string;
  readonly topic: string;
  readonly contentType: string;
  /** HTTP: the request body; gRPC: `TopicEventRequest.data`. */
  readonly body: Buffer;
  /** HTTP request headers (empty for gRPC). */
  readonly headers: IncomingHttpHeaders;
  /** gRPC only: the envelope attributes daprd sends beside `data` (id, source, type, spec_version, extensions). */
  readonly envelope?: Readonly<Record<string, unknown>>;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** A subscriber app: an HTTP or gRPC server daprd delivers to. */
export interface SubscriberApp {
  readonly port: number;
  readonly protocol: "http" | "grpc";
  /** Everything received so far, in arrival order. */
  readonly deliveries: readonly AppDelivery[];
  close(): Promise<void>;
}

/**
 * An HTTP subscriber app on a free loopback port. It answers daprd's `GET /dapr/subscribe` with no
 * programmatic subscriptions (the tests declare theirs), takes every POST as a delivery and answers
 * `{"status":"SUCCESS"}`.
 */
export async function startHttpSubscriber(): Promise<SubscriberApp> {
  const deliveries: AppDelivery[] = [];
  const server: HttpServer = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const url = request.url ?? "/";
      if (request.method === "GET" && url === "/dapr/subscribe") {
        response.writeHead(200, { "content-type": "application/json" }).end("[]");
        return;
      }
      if (request.method !== "POST") {
        response.writeHead(404).end();
        return;
      }
      const body = Buffer.concat(chunks);
      let topic = "";
      try {
        topic = text((JSON.parse(body.toString("utf8")) as { topic?: unknown }).topic);
      } catch {
        // a raw body that is not JSON: the topic is not in it
      }
      deliveries.push({
        route: url,
        topic,
        contentType: request.headers["content-type"] ?? "",
        body,
        headers: request.headers,
      });
      response.writeHead(200, { "content-type": "application/json" }).end('{"status":"SUCCESS"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address !== "object") throw new Error("the HTTP subscriber did not bind");
  return {
    port: address.port,
    protocol: "http",
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

let appCallbackRoot: protobuf.Root | undefined;

function appCallbackProtos(): protobuf.Root {
  if (appCallbackRoot === undefined) {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => {
      const local = path.join(DAPR_PROTO_DIR, target);
      return existsSync(local) ? local : target;
    };
    root.loadSync(["dapr/proto/runtime/v1/appcallback.proto"], { keepCase: true });
    root.resolveAll();
    appCallbackRoot = root;
  }
  return appCallbackRoot;
}

/**
 * A gRPC subscriber app (`dapr.proto.runtime.v1.AppCallback`, from Dapr's own `.proto`) on a free
 * loopback port: no programmatic subscriptions, every `OnTopicEvent` is a delivery answered SUCCESS.
 */
export async function startGrpcSubscriber(): Promise<SubscriberApp> {
  const deliveries: AppDelivery[] = [];
  const root = appCallbackProtos();
  const service = root.lookupService("dapr.proto.runtime.v1.AppCallback");
  const server = new GrpcServer();
  const definition: Record<string, import("@grpc/grpc-js").MethodDefinition<unknown, unknown>> = {};
  const implementation: UntypedServiceImplementation = {};
  for (const method of Object.values(service.methods)) {
    method.resolve();
    const request = method.resolvedRequestType;
    const response = method.resolvedResponseType;
    if (request === null || response === null) throw new Error(`cannot resolve ${method.name}`);
    definition[method.name] = {
      path: `/dapr.proto.runtime.v1.AppCallback/${method.name}`,
      requestStream: false,
      responseStream: false,
      requestSerialize: (value: unknown) => Buffer.from(request.encode(request.fromObject(value as object)).finish()),
      requestDeserialize: (bytes: Buffer) => request.toObject(request.decode(bytes), { defaults: true, longs: Number }),
      responseSerialize: (value: unknown) =>
        Buffer.from(response.encode(response.fromObject(value as object)).finish()),
      responseDeserialize: (bytes: Buffer) => response.toObject(response.decode(bytes), { defaults: true }),
    };
    implementation[method.name] = (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
      switch (method.name) {
        case "ListTopicSubscriptions":
          callback(null, { subscriptions: [] });
          return;
        case "ListInputBindings":
          callback(null, { bindings: [] });
          return;
        case "OnTopicEvent": {
          const event = call.request as Record<string, unknown>;
          const data = event["data"];
          deliveries.push({
            route: text(event["path"]),
            topic: text(event["topic"]),
            contentType: text(event["data_content_type"]),
            body: Buffer.isBuffer(data) ? data : Buffer.from(data as Uint8Array),
            headers: {},
            envelope: {
              id: event["id"],
              source: event["source"],
              type: event["type"],
              spec_version: event["spec_version"],
              extensions: event["extensions"],
            },
          });
          callback(null, { status: 0 });
          return;
        }
        default:
          callback({ code: GrpcStatus.UNIMPLEMENTED, details: `${method.name} is not used by the tests` });
      }
    };
  }
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  return {
    port,
    protocol: "grpc",
    deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}
