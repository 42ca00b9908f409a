import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { BridgeStatus } from "../bridge.js";
import type { BridgeConfig } from "../config/bridge-config.js";
import { ErrorCode } from "../errors/bridge-error.js";
import { resolveHttpLimits } from "./http-limits.js";
import { captureLogs } from "../../test/helpers/log-capture.js";
import {
  startObservability,
  type ObservabilityOptions,
  type ObservabilityServer,
  type ObservedBridge,
} from "./http-server.js";

// Issue 12 item 5: a client that opens connections and never finishes a request must not hold
// them (and the process's descriptors) for long, nor take more than a few.

interface RawConnection {
  readonly socket: Socket;
  /** Everything the server sent. */
  received(): string;
  readonly closed: Promise<void>;
  isClosed(): boolean;
}

const sockets: Socket[] = [];
const opened: ObservabilityServer[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(opened.splice(0).map((server) => server.close()));
});

/** A TCP connection to `address` that writes `bytes` (if any) and then waits. */
async function raw(address: string, bytes = ""): Promise<RawConnection> {
  const { hostname, port } = new URL(`http://${address}`);
  const socket = connect({ host: hostname, port: Number(port) });
  sockets.push(socket);
  let data = "";
  let isClosed = false;
  socket.setEncoding("utf8");
  socket.on("data", (chunk: string) => (data += chunk));
  socket.on("error", () => undefined);
  const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
  void closed.then(() => (isClosed = true));
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  if (bytes !== "") socket.write(bytes);
  return { socket, received: () => data, closed, isClosed: () => isClosed };
}

function capture(): ReturnType<typeof captureLogs> {
  return captureLogs("debug");
}

async function start(logger: pino.Logger, options: ObservabilityOptions = {}): Promise<ObservabilityServer> {
  const status: BridgeStatus = { state: "running", activeStreams: 0 };
  const bridge: ObservedBridge = {
    config: { metricsListen: "127.0.0.1:0" } as BridgeConfig,
    status: () => status,
    logger,
  };
  const server = await startObservability(bridge, options);
  if (server === undefined) throw new Error("the listener did not start");
  opened.push(server);
  return server;
}

async function healthz(address: string): Promise<number> {
  const response = await fetch(`http://${address}/healthz`);
  await response.text();
  return response.status;
}

describe("the limits of the metrics and health listener", () => {
  it("answers a request target that is no path (//[) with 400, logging no error and no stack", async () => {
    const { logger, lines } = capture();
    const server = await start(logger);
    const connection = await raw(server.address, "GET //[ HTTP/1.1\r\nHost: bridge\r\nConnection: close\r\n\r\n");
    await connection.closed;
    expect(connection.received()).toMatch(/^HTTP\/1\.1 400 /);
    expect(lines.filter((line) => Number(line["level"]) >= 50)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain("stack");
    expect(await healthz(server.address)).toBe(200);
  });

  it("closes a connection whose request headers never finish (slowloris)", async () => {
    const { logger } = capture();
    const server = await start(logger, { headersTimeoutMs: 200, requestTimeoutMs: 200 });
    const slow = await raw(server.address, "GET /healthz HTTP/1.1\r\nHost: bridge\r\n");
    await slow.closed;
    expect(slow.isClosed()).toBe(true);
    expect(await healthz(server.address)).toBe(200);
  });

  it("refuses connections beyond maxConnections at once, and warns once for many", async () => {
    const { logger, lines } = capture();
    const server = await start(logger, { maxConnections: 3 });
    const held = await Promise.all([1, 2, 3].map(() => raw(server.address)));
    const refused = await Promise.all(
      [1, 2, 3, 4].map(() => raw(server.address, "GET /healthz HTTP/1.1\r\nHost: bridge\r\n\r\n")),
    );
    await Promise.all(refused.map((connection) => connection.closed));
    expect(refused.map((connection) => connection.received())).toEqual(["", "", "", ""]);
    const warnings = lines.filter((line) => typeof line["msg"] === "string" && line["msg"].includes("connection cap"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ maxConnections: 3, refused: 1 });
    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
    // The listener counts a connection until its close reaches it: retry until a slot is free.
    let status = 0;
    for (let attempt = 0; attempt < 100 && status !== 200; attempt++)
      status = await healthz(server.address).catch(() => 0);
    expect(status).toBe(200);
  });

  it("rejects a limit below 1, naming it", () => {
    expect(() => resolveHttpLimits({ maxConnections: 0 })).toThrow(
      /maxConnections: expected an integer of at least 1, got 0/,
    );
    expect(() => resolveHttpLimits({ headersTimeoutMs: 5000, requestTimeoutMs: 1000 })).toThrow(
      expect.objectContaining({
        code: ErrorCode.InvalidConfig,
        message: expect.stringMatching(/^requestTimeoutMs/) as unknown,
      }),
    );
  });
});
