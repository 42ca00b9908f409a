import { Server, ServerCredentials, status as GrpcStatus, type ServiceDefinition } from "@grpc/grpc-js";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode } from "../errors/bridge-error.js";
import { DaprPublisher } from "./dapr-publisher.js";
import { redactSecret } from "./redact.js";

// Issue 12 item 11: a sidecar's error text was copied verbatim into logs and `deadlettererror`;
// a sidecar (or a proxy before it) that quotes the token it refused leaked the token there.

const TOKEN = "tok-3f9a61c2";
const servers: Server[] = [];
const publishers: DaprPublisher[] = [];
afterEach(async () => {
  for (const publisher of publishers.splice(0)) publisher.close();
  await Promise.all(
    servers.splice(0).map((server) => new Promise<void>((resolve) => server.tryShutdown(() => resolve()))),
  );
});

/** A gRPC server on the Dapr runtime's paths that refuses every call, quoting the token it got. */
async function quotingSidecar(): Promise<string> {
  const method = (name: string) => ({
    path: `/dapr.proto.runtime.v1.Dapr/${name}`,
    requestStream: false,
    responseStream: false,
    requestSerialize: (value: Buffer) => value,
    requestDeserialize: (bytes: Buffer) => bytes,
    responseSerialize: (value: Buffer) => value,
    responseDeserialize: (bytes: Buffer) => bytes,
  });
  const names = ["GetMetadata", "BulkPublishEvent", "BulkPublishEventAlpha1", "PublishEvent"];
  const definition = Object.fromEntries(names.map((name) => [name, method(name)])) as ServiceDefinition;
  const server = new Server();
  servers.push(server);
  const refuse = (call: { metadata: { get(key: string): unknown[] } }, callback: (error: object) => void): void => {
    const token = String(call.metadata.get("dapr-api-token")[0]);
    callback({ code: GrpcStatus.INVALID_ARGUMENT, details: `token ${token} is not valid for this app (${token})` });
  };
  server.addService(definition, Object.fromEntries(names.map((name) => [name, refuse])));
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  return `127.0.0.1:${port}`;
}

describe("sidecar error text", () => {
  it("never carries the API token into a BridgeError, its cause or a failed entry", async () => {
    const endpoint = await quotingSidecar();
    const publisher = new DaprPublisher({ endpoint, apiToken: TOKEN });
    publishers.push(publisher);
    const item = {
      entryId: "1",
      data: Buffer.from("x"),
      contentType: "application/octet-stream",
      metadata: {},
      rawPayload: false,
    };
    const failure: unknown = await publisher.publish("pubsub", "t", [item]).then(
      (result) => result.failed.get("1"),
      (error: unknown) => error,
    );
    expect(failure).toMatchObject({ code: ErrorCode.Rejected });
    const message = (failure as Error).message;
    expect(message).toContain("token *** is not valid for this app (***)");
    expect(JSON.stringify(failure, Object.getOwnPropertyNames(failure))).not.toContain(TOKEN);
    const cause = (failure as Error).cause;
    expect(JSON.stringify(cause, cause instanceof Error ? Object.getOwnPropertyNames(cause) : undefined)).not.toContain(
      TOKEN,
    );
  });

  it("redacts every occurrence, and leaves text alone without a token", () => {
    expect(redactSecret(`a ${TOKEN} b ${TOKEN}`, TOKEN)).toBe("a *** b ***");
    expect(redactSecret("no token here", undefined)).toBe("no token here");
    expect(redactSecret("no token here", "")).toBe("no token here");
  });
});
