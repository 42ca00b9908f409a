import * as grpc from "@grpc/grpc-js";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BridgeError } from "../errors/bridge-error.js";
import { SINK_METHODS, SINK_SERVICE } from "../proto/protos.js";
import type { EmitResult, SentFrame } from "./emitter.js";
import { emit } from "./emitter.js";
import { makeEvent, takeEvents } from "./sequences.js";

interface ReceivedStream {
  readonly method: string;
  readonly metadata: grpc.Metadata;
  readonly frames: Buffer[];
  ended: boolean;
  cancelled: boolean;
}

interface TestSinkOptions {
  /** Do not read any frame until `resume()`. */
  readonly paused?: boolean;
  /** Answer every stream with this status after its first frame. */
  readonly failWith?: grpc.status;
}

/** A real grpc-js server of the sink service that keeps the raw frames it reads. */
async function startSink(options: TestSinkOptions = {}) {
  const server = new grpc.Server();
  const streams: ReceivedStream[] = [];
  let resume: () => void = () => undefined;
  const resumed = new Promise<void>((resolve) => (resume = resolve));
  const identity = (bytes: Buffer): Buffer => bytes;
  const handler =
    (method: string) =>
    (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
      const record: ReceivedStream = { method, metadata: call.metadata, frames: [], ended: false, cancelled: false };
      streams.push(record);
      call.on("cancelled", () => (record.cancelled = true));
      const read = (): void => {
        call.on("data", (frame: Buffer) => {
          record.frames.push(frame);
          if (options.failWith !== undefined && record.frames.length === 1) {
            callback({ code: options.failWith, details: "test sink refuses" });
          }
        });
        call.on("end", () => {
          record.ended = true;
          // EventResponse has no fields: its encoding is empty.
          if (options.failWith === undefined) callback(null, Buffer.alloc(0));
        });
      };
      if (options.paused === true) void resumed.then(read);
      else read();
    };
  const definition: grpc.ServiceDefinition = Object.fromEntries(
    SINK_METHODS.map((method) => [
      method,
      {
        path: `/${SINK_SERVICE}/${method}`,
        requestStream: true,
        responseStream: false,
        requestSerialize: identity,
        requestDeserialize: identity,
        responseSerialize: identity,
        responseDeserialize: identity,
      },
    ]),
  );
  const implementation: grpc.UntypedServiceImplementation = Object.fromEntries(
    SINK_METHODS.map((method) => [method, handler(method)]),
  );
  server.addService(definition, implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  return { target: `127.0.0.1:${port}`, streams, resume, close: () => server.forceShutdown() };
}

const opened: Array<{ close(): void }> = [];
async function sink(options: TestSinkOptions = {}) {
  const started = await startSink(options);
  opened.push(started);
  return started;
}

afterEach(() => {
  for (const server of opened.splice(0)) server.close();
});

function bytesOf(frames: readonly { bytes: Uint8Array }[]): string[] {
  return frames.map((f) => Buffer.from(f.bytes).toString("hex"));
}

describe("emit", () => {
  it.each([...SINK_METHODS])(
    "delivers every frame in order with dapr-app-id and dapr-namespace on %s",
    async (method) => {
      const server = await sink();
      const result = await emit({
        target: server.target,
        method,
        count: 300,
        appId: "shop",
        namespace: "prod",
        keepFrames: true,
      });
      expect(result.acknowledged).toBe(true);
      expect(result.error).toBeUndefined();
      expect(result.sent).toBe(300);
      const [stream] = server.streams;
      expect(server.streams).toHaveLength(1);
      expect(stream?.method).toBe(method);
      expect(stream?.metadata.get("dapr-app-id")).toEqual(["shop"]);
      expect(stream?.metadata.get("dapr-namespace")).toEqual(["prod"]);
      expect(stream?.frames.map((f) => f.toString("hex"))).toEqual(
        bytesOf(takeEvents(300, { seed: 1, appId: "shop" })),
      );
      expect(bytesOf(result.streams[0]?.frames ?? [])).toEqual(bytesOf(takeEvents(300, { seed: 1, appId: "shop" })));
    },
  );

  it("runs concurrent streams, each with its own seed and key space, and reports every write", async () => {
    const server = await sink();
    const sent: SentFrame[] = [];
    const result = await emit({ target: server.target, streams: 3, count: 100, onSent: (frame) => sent.push(frame) });
    expect(result.acknowledged).toBe(true);
    expect(result.sent).toBe(300);
    expect(result.streams.map((s) => s.sent)).toEqual([100, 100, 100]);
    expect(server.streams.map((s) => s.frames.length)).toEqual([100, 100, 100]);
    expect(server.streams.map((s) => s.metadata.get("dapr-app-id"))).toEqual([
      ["demo-app"],
      ["demo-app"],
      ["demo-app"],
    ]);
    const keysOf = (stream: number) => sent.filter((f) => f.stream === stream).map((f) => f.event?.key ?? "");
    expect(keysOf(1).every((k) => k.startsWith("s1-") || k.includes("/s1-"))).toBe(true);
    expect(keysOf(0).some((k) => k.startsWith("s"))).toBe(false);
    expect(sent.filter((f) => f.stream === 2).map((f) => f.index)).toEqual([...Array(100).keys()]);
  });

  it("sends explicit frames as given, a malformed one between good ones included", async () => {
    const server = await sink();
    const garbage = Uint8Array.from([0xff, 0xff, 0xff, 0x0f, 0x01]);
    const started = makeEvent("execution_started");
    const invoked = makeEvent("invoked");
    const result = await emit({ target: server.target, frames: [started, garbage, invoked] });
    expect(result.acknowledged).toBe(true);
    expect(server.streams[0]?.frames.map((f) => f.toString("hex"))).toEqual(
      bytesOf([started, { bytes: garbage }, invoked]),
    );
  });

  it("paces with ratePerSec without losing or adding frames", async () => {
    const server = await sink();
    const result = await emit({ target: server.target, count: 120, streams: 2, ratePerSec: 2000 });
    expect(result.acknowledged).toBe(true);
    expect(server.streams.map((s) => s.frames.length)).toEqual([120, 120]);
  });

  it("waits for 'drain' while the sink does not read, and delivers everything once it does", async () => {
    const server = await sink({ paused: true });
    const count = 8000;
    let written = 0;
    const atBackpressure: number[] = [];
    let settled = false;
    const running = emit({
      target: server.target,
      count,
      onSent: () => written++,
      onBackpressure: (_stream, sent) => atBackpressure.push(sent),
    }).finally(() => (settled = true));
    // The stream reached the sink, and flow control pushed back.
    await vi.waitFor(() => expect(server.streams).toHaveLength(1), { timeout: 10_000 });
    await vi.waitFor(() => expect(atBackpressure.length).toBeGreaterThan(0), { timeout: 10_000 });
    // The emitter stopped short of the count, and the sink read nothing.
    expect(written).toBeLessThan(count);
    expect(atBackpressure.every((sent) => sent < count)).toBe(true);
    expect(server.streams[0]?.frames).toHaveLength(0);
    expect(settled).toBe(false);
    server.resume();
    const result: EmitResult = await running;
    expect(result.acknowledged).toBe(true);
    expect(result.streams[0]?.drainWaits).toBeGreaterThan(0);
    expect(server.streams[0]?.frames).toHaveLength(count);
  });

  it("ends the stream with an aborted error when its signal fires, writing nothing after", async () => {
    const server = await sink();
    const controller = new AbortController();
    let writtenAfterAbort = 0;
    const running = emit({
      target: server.target,
      count: Number.POSITIVE_INFINITY,
      onSent: () => {
        if (controller.signal.aborted) writtenAfterAbort++;
      },
      signal: controller.signal,
    });
    await vi.waitFor(() => expect(server.streams[0]?.frames.length).toBeGreaterThanOrEqual(10), { timeout: 10_000 });
    controller.abort();
    const result = await running;
    expect(result.acknowledged).toBe(false);
    expect(result.sent).toBeGreaterThanOrEqual(10);
    expect(writtenAfterAbort).toBe(0);
    expect(result.error?.code).toBe("aborted");
    expect(result.error?.message).toMatch(
      /emit stream 0 \(SendEventsAlpha1 on 127\.0\.0\.1:\d+, \d+ frames written\): aborted/,
    );
    await vi.waitFor(() => expect(server.streams[0]?.cancelled).toBe(true), { timeout: 10_000 });
  });

  it("writes nothing when its signal has already fired", async () => {
    const server = await sink();
    const result = await emit({ target: server.target, count: 10 }, AbortSignal.abort());
    expect(result).toMatchObject({ sent: 0, acknowledged: false, error: { code: "aborted" } });
  });

  it("reports the sink's gRPC error and an unreachable sink as not acknowledged", async () => {
    const server = await sink({ failWith: grpc.status.RESOURCE_EXHAUSTED });
    const refused = await emit({ target: server.target, count: 50 });
    expect(refused.acknowledged).toBe(false);
    expect(refused.error?.code).toBe("resource_exhausted");
    expect(refused.error?.message).toMatch(/RESOURCE_EXHAUSTED/);

    const gone = await sink();
    gone.close();
    const unreachable = await emit({ target: gone.target, count: 5 });
    expect(unreachable.acknowledged).toBe(false);
    expect(unreachable.error?.code).toBe("unavailable");
  });

  it("rejects bad options with invalid_config naming the option", async () => {
    const cases: Array<[Parameters<typeof emit>[0], RegExp]> = [
      [
        { target: "127.0.0.1:1", method: "Nope" as "OnEventAlpha1" },
        /option method must be SendEventsAlpha1 or OnEventAlpha1; given Nope/,
      ],
      [{ target: "127.0.0.1:1", count: -1 }, /option count must be a non-negative integer or Infinity; given -1/],
      [{ target: "127.0.0.1:1", streams: 0 }, /option streams must be a positive integer; given 0/],
      [{ target: "127.0.0.1:1", ratePerSec: -5 }, /option ratePerSec must be a finite number >= 0; given -5/],
      [{ target: "localhost" }, /option target must be HOST:PORT; given localhost/],
      [{ target: "127.0.0.1:1", streams: 2, frames: [] }, /option frames must be a function/],
    ];
    for (const [options, message] of cases) {
      const error: unknown = await emit(options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BridgeError);
      expect((error as BridgeError).code).toBe("invalid_config");
      expect((error as BridgeError).message).toMatch(message);
    }
  });
});
