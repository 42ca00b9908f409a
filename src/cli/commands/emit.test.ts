import * as grpc from "@grpc/grpc-js";
import { CommanderError } from "commander";
import { afterEach, describe, expect, it } from "vitest";
import { SINK_SERVICE } from "../../proto/protos.js";
import { emitCommand, emitOptionsFromFlags } from "./emit.js";

interface Run {
  out: string;
  err: string;
  exitCode: number;
}

async function run(args: string[]): Promise<Run> {
  const result: Run = { out: "", err: "", exitCode: 0 };
  const command = emitCommand()
    .exitOverride()
    .configureOutput({ writeOut: (text) => (result.out += text), writeErr: (text) => (result.err += text) });
  try {
    await command.parseAsync(args, { from: "user" });
  } catch (reason) {
    if (!(reason instanceof CommanderError)) throw reason;
    result.exitCode = reason.exitCode;
  }
  return result;
}

const servers: grpc.Server[] = [];
afterEach(() => servers.splice(0).forEach((s) => s.forceShutdown()));

/** A sink that counts frames and acknowledges on half-close. */
async function countingSink(): Promise<{ target: string; frames: () => number }> {
  const server = new grpc.Server();
  servers.push(server);
  let frames = 0;
  const identity = (b: Buffer): Buffer => b;
  server.addService(
    {
      SendEventsAlpha1: {
        path: `/${SINK_SERVICE}/SendEventsAlpha1`,
        requestStream: true,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    },
    {
      SendEventsAlpha1: (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
        call.on("data", () => frames++);
        call.on("end", () => callback(null, Buffer.alloc(0)));
      },
    },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e === null ? resolve(p) : reject(e),
    ),
  );
  return { target: `127.0.0.1:${port}`, frames: () => frames };
}

describe("emit command", () => {
  it("streams the events and prints a summary", async () => {
    const sink = await countingSink();
    const result = await run(["--target", sink.target, "--count", "40", "--streams", "2"]);
    expect(result.exitCode).toBe(0);
    expect(sink.frames()).toBe(80);
    expect(result.out).toMatch(
      /^sent 80 events on 2 stream\(s\) in \d+\.\d\d s \(\d+ events\/s\)\nacknowledged: yes \(2\/2 streams\)\n$/,
    );
  });

  it("exits 1 naming the gRPC error when the stream is not acknowledged", async () => {
    const sink = await countingSink();
    const result = await run(["--target", sink.target, "--method", "OnEventAlpha1", "--count", "3"]);
    expect(result.exitCode).toBe(1);
    expect(result.out).toMatch(/acknowledged: no \(0\/1 streams\)/);
    expect(result.err).toMatch(/not acknowledged by 127\.0\.0\.1:\d+: unimplemented: .*UNIMPLEMENTED/);
  });

  it.each([
    [["--count", "-1"], '--count: expected an integer, 0 or more, per stream, got "-1"'],
    [["--method", "Nope"], '--method: expected SendEventsAlpha1 | OnEventAlpha1, got "Nope"'],
    [["--streams", "0"], '--streams: expected an integer, 1 or more, got "0"'],
    [["--rate", "fast"], '--rate: expected events per second, 0 (unpaced) or more, got "fast"'],
    [["--target", "nowhere"], '--target: expected HOST:PORT, got "nowhere"'],
  ])("exits 2 on %j with a message naming the flag", async (args, message) => {
    const result = await run(args);
    expect(result.exitCode).toBe(2);
    expect(result.err).toContain(message);
  });

  it("maps the flags onto emitter options", () => {
    const options = emitOptionsFromFlags({
      target: "h:1",
      count: "5",
      streams: "3",
      rate: "250",
      appId: "shop",
      namespace: "prod",
      seed: "9",
      method: "OnEventAlpha1",
      workflowRatio: "0.5",
    });
    expect(options).toEqual({
      target: "h:1",
      method: "OnEventAlpha1",
      appId: "shop",
      namespace: "prod",
      count: 5,
      streams: 3,
      ratePerSec: 250,
      seed: 9,
      sequence: { workflowRatio: 0.5 },
    });
  });
});
