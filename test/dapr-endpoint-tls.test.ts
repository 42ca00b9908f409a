import { createServer, type Server, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { resolveConfig } from "../src/config/load.js";
import { DaprPublisher } from "../src/publish/dapr-publisher.js";

// The TLS intent of DAPR_GRPC_ENDPOINT, from the environment through the settings to the
// connection the publisher opens: a TCP listener records the first bytes the client sends.
// A TLS client opens with a handshake record (0x16, version 3.x); a plaintext gRPC client with
// the HTTP/2 preface "PRI * HTTP/2.0".

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const resource of open.splice(0).reverse()) await resource.close();
});

async function firstBytesListener(): Promise<{ port: number; first: Promise<Buffer> }> {
  let resolveFirst: (bytes: Buffer) => void = () => undefined;
  const first = new Promise<Buffer>((resolve) => {
    resolveFirst = resolve;
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once("data", (chunk: Buffer) => {
      resolveFirst(chunk);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  open.push({
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("no TCP address");
  return { port: address.port, first };
}

async function bytesSentFor(endpointOf: (port: number) => string): Promise<{ endpoint: string; first: Buffer }> {
  const { port, first } = await firstBytesListener();
  const config = resolveConfig({ flags: {}, env: { DAPR_GRPC_ENDPOINT: endpointOf(port) } });
  const publisher = new DaprPublisher({ endpoint: config.daprGrpcEndpoint, timeoutMs: 2000 });
  open.push(publisher);
  // The call fails (the listener speaks neither TLS nor HTTP/2); what matters is what it sent.
  void publisher.checkSidecar();
  return { endpoint: config.daprGrpcEndpoint, first: await first };
}

describe("the Dapr endpoint's TLS intent", () => {
  it.each([["https://127.0.0.1:%d"], ["127.0.0.1:%d?tls=true"]])("%s connects with TLS", async (pattern) => {
    const { endpoint, first } = await bytesSentFor((port) => pattern.replace("%d", String(port)));
    expect(endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(first[0]).toBe(0x16); // TLS handshake record
    expect(first[1]).toBe(0x03);
  });

  it.each([["http://127.0.0.1:%d"], ["127.0.0.1:%d"]])("%s connects in plaintext", async (pattern) => {
    const { endpoint, first } = await bytesSentFor((port) => pattern.replace("%d", String(port)));
    expect(endpoint).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(first.subarray(0, 14).toString("latin1")).toBe("PRI * HTTP/2.0");
  });
});
