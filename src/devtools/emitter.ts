import * as grpc from "@grpc/grpc-js";
import { setTimeout as sleep } from "node:timers/promises";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { SINK_METHODS, SINK_SERVICE } from "../proto/protos.js";
import type { SinkMethod } from "../proto/protos.js";
import type { GeneratedEvent, SequenceOptions } from "./sequences.js";
import { generateEvents } from "./sequences.js";

/** A frame to send: raw bytes (any bytes, even malformed) or a generated event. */
export type EmitFrame = Uint8Array | GeneratedEvent;

/** A frame the emitter has written to a stream. */
export interface SentFrame {
  /** The stream it went on, from 0. */
  readonly stream: number;
  /** Its position within that stream, from 0. */
  readonly index: number;
  readonly bytes: Uint8Array;
  /** The generated event, when the frame is one. */
  readonly event?: GeneratedEvent;
}

/** Options of {@link emit}: a stand-in for daprd streaming events to a sink. */
export interface EmitterOptions {
  /** The sink's address, `HOST:PORT`. */
  readonly target: string;
  /** Which of the sink's two RPCs to call. @default "SendEventsAlpha1" */
  readonly method?: SinkMethod;
  /** Sent as gRPC metadata `dapr-app-id`. @default "demo-app" */
  readonly appId?: string;
  /** Sent as gRPC metadata `dapr-namespace`. @default "default" */
  readonly namespace?: string;
  /** Concurrent streams; stream `i` generates with seed `seed + i` and key prefix `s<i>-` (none for 0). @default 1 */
  readonly streams?: number;
  /** Generated events per stream (ignored when `frames` is given); `Infinity` runs until aborted. @default 1000 */
  readonly count?: number;
  /**
   * Explicit frames instead of generated ones: an iterable (one stream only) or a function giving
   * each stream its frames. Lets tests put a malformed frame between good ones.
   */
  readonly frames?: Iterable<EmitFrame> | ((stream: number) => Iterable<EmitFrame>);
  /** Shape of the generated events (seed and prefix are set per stream on top of these). @default {} */
  readonly sequence?: Omit<SequenceOptions, "seed">;
  /** Seed of stream 0. @default 1 */
  readonly seed?: number;
  /** Events per second over all streams, paced by a token bucket; 0 = as fast as flow control allows. @default 0 */
  readonly ratePerSec?: number;
  /** Channel credentials (mTLS). @default grpc.credentials.createInsecure() */
  readonly credentials?: grpc.ChannelCredentials;
  /** Extra grpc-js channel options. @default {} */
  readonly channelOptions?: grpc.ChannelOptions;
  /** Keep every written frame in the result (memory grows with the count). @default false */
  readonly keepFrames?: boolean;
  /** Called after each frame is written, with the wall-clock time in milliseconds (sub-millisecond precision). */
  readonly onSent?: (frame: SentFrame, sentAtMs: number) => void;
  /** Called each time a stream's `write()` returns false and the emitter waits for 'drain'. */
  readonly onBackpressure?: (stream: number, sent: number) => void;
  /** Cancels every stream; combined with the `signal` argument of {@link emit}. */
  readonly signal?: AbortSignal;
}

/** What happened on one stream. */
export interface StreamResult {
  readonly stream: number;
  /** Frames written to the stream. */
  readonly sent: number;
  /** Whether the sink answered with an `EventResponse`: everything sent is safe with it. */
  readonly acknowledged: boolean;
  /** Why the stream was not acknowledged. */
  readonly error?: BridgeError;
  /** Times the emitter waited for 'drain' (flow control pushed back). */
  readonly drainWaits: number;
  /** The frames written, when `keepFrames` is set; else empty. */
  readonly frames: readonly SentFrame[];
}

/** What happened on all streams. */
export interface EmitResult {
  /** Frames written over all streams. */
  readonly sent: number;
  /** Whether every stream was acknowledged. */
  readonly acknowledged: boolean;
  /** The first stream error, if any. */
  readonly error?: BridgeError;
  readonly streams: readonly StreamResult[];
  /** Wall-clock duration of the run, in milliseconds. */
  readonly elapsedMs: number;
}

interface ResolvedEmitterOptions {
  readonly target: string;
  readonly method: SinkMethod;
  readonly appId: string;
  readonly namespace: string;
  readonly streams: number;
  readonly count: number;
  readonly seed: number;
  readonly ratePerSec: number;
  readonly keepFrames: boolean;
}

function invalid(option: string, expected: string, given: unknown): BridgeError {
  return new BridgeError(
    ErrorCode.InvalidConfig,
    `emitter option ${option} must be ${expected}; given ${String(given)}`,
  );
}

function resolveEmitterOptions(options: EmitterOptions): ResolvedEmitterOptions {
  const o: ResolvedEmitterOptions = {
    target: options.target,
    method: options.method ?? "SendEventsAlpha1",
    appId: options.appId ?? "demo-app",
    namespace: options.namespace ?? "default",
    streams: options.streams ?? 1,
    count: options.count ?? 1000,
    seed: options.seed ?? 1,
    ratePerSec: options.ratePerSec ?? 0,
    keepFrames: options.keepFrames ?? false,
  };
  if (!/^.+:\d+$/.test(o.target)) throw invalid("target", "HOST:PORT", options.target);
  if (!(SINK_METHODS as readonly string[]).includes(o.method))
    throw invalid("method", SINK_METHODS.join(" or "), options.method);
  if (!(Number.isInteger(o.streams) && o.streams >= 1)) throw invalid("streams", "a positive integer", options.streams);
  if (!(o.count === Number.POSITIVE_INFINITY || (Number.isInteger(o.count) && o.count >= 0))) {
    throw invalid("count", "a non-negative integer or Infinity", options.count);
  }
  if (!Number.isSafeInteger(o.seed)) throw invalid("seed", "an integer", options.seed);
  if (!(Number.isFinite(o.ratePerSec) && o.ratePerSec >= 0))
    throw invalid("ratePerSec", "a finite number >= 0", options.ratePerSec);
  if (options.frames !== undefined && typeof options.frames !== "function" && o.streams > 1) {
    throw invalid("frames", "a function of the stream index when streams > 1", "an iterable");
  }
  return o;
}

/**
 * A token bucket shared by all streams: takes are synchronous while tokens last, and a wait
 * sleeps once for the whole deficit rather than once per event.
 */
class TokenBucket {
  private tokens = 1;
  private last = performance.now();
  private readonly burst: number;

  constructor(private readonly ratePerSec: number) {
    this.burst = Math.max(1, ratePerSec / 50);
  }

  tryTake(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.ratePerSec) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  async take(signal: AbortSignal | undefined): Promise<void> {
    while (!this.tryTake()) {
      await sleep(Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec)), undefined, { signal });
    }
  }
}

function* limit<T>(items: Iterable<T>, count: number): Generator<T, void, undefined> {
  if (count === 0) return;
  let n = 0;
  for (const item of items) {
    yield item;
    if (++n >= count) return;
  }
}

/**
 * Streams events to a sink like daprd would: one client-streaming call per stream, frames
 * written as already-encoded bytes, flow control respected (after a `write()` that returns
 * false, nothing more is written until 'drain'), then a half-close and a wait for the
 * `EventResponse`. Never rejects for a stream failure: each stream's outcome is in the result.
 * Rejects only with `invalid_config` for bad options.
 */
export async function emit(options: EmitterOptions, signal?: AbortSignal): Promise<EmitResult> {
  const o = resolveEmitterOptions(options);
  const signals = [signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
  const combined = signals.length > 1 ? AbortSignal.any(signals) : signals[0];
  const client = new grpc.Client(
    o.target,
    options.credentials ?? grpc.credentials.createInsecure(),
    options.channelOptions ?? {},
  );
  const bucket = o.ratePerSec > 0 ? new TokenBucket(o.ratePerSec) : undefined;
  const startedAt = performance.now();
  try {
    const streams = await Promise.all(
      Array.from({ length: o.streams }, (_, stream) =>
        runStream(client, stream, framesFor(options, o, stream), o, options, bucket, combined),
      ),
    );
    const error = streams.find((s) => s.error !== undefined)?.error;
    return {
      sent: streams.reduce((total, s) => total + s.sent, 0),
      acknowledged: streams.every((s) => s.acknowledged),
      ...(error === undefined ? {} : { error }),
      streams,
      elapsedMs: performance.now() - startedAt,
    };
  } finally {
    client.close();
  }
}

function framesFor(options: EmitterOptions, o: ResolvedEmitterOptions, stream: number): Iterable<EmitFrame> {
  const frames = options.frames;
  if (typeof frames === "function") return frames(stream);
  if (frames !== undefined) return frames;
  const keyPrefix = `${options.sequence?.keyPrefix ?? ""}${stream === 0 ? "" : `s${stream}-`}`;
  return limit(generateEvents({ appId: o.appId, ...options.sequence, seed: o.seed + stream, keyPrefix }), o.count);
}

async function runStream(
  client: grpc.Client,
  stream: number,
  frames: Iterable<EmitFrame>,
  o: ResolvedEmitterOptions,
  options: EmitterOptions,
  bucket: TokenBucket | undefined,
  signal: AbortSignal | undefined,
): Promise<StreamResult> {
  const metadata = new grpc.Metadata();
  metadata.set("dapr-app-id", o.appId);
  metadata.set("dapr-namespace", o.namespace);
  let outcome: grpc.ServiceError | null | undefined;
  let settle: () => void = () => undefined;
  const response = new Promise<void>((resolve) => (settle = resolve));
  const call = client.makeClientStreamRequest<Uint8Array, Buffer>(
    `/${SINK_SERVICE}/${o.method}`,
    (frame) => Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength),
    (bytes) => bytes,
    metadata,
    {},
    (error) => {
      outcome = error;
      settle();
    },
  );
  const cancel = (): void => call.cancel();
  signal?.addEventListener("abort", cancel, { once: true });
  const kept: SentFrame[] = [];
  let sent = 0;
  let drainWaits = 0;
  let failure: unknown;
  try {
    if (signal?.aborted === true) call.cancel();
    for (const frame of frames) {
      if (outcome !== undefined || signal?.aborted === true) break;
      if (bucket !== undefined && !bucket.tryTake()) await bucket.take(signal);
      const bytes = frame instanceof Uint8Array ? frame : frame.bytes;
      const flowing = call.write(bytes);
      const sentFrame: SentFrame = {
        stream,
        index: sent++,
        bytes,
        ...(frame instanceof Uint8Array ? {} : { event: frame }),
      };
      if (o.keepFrames) kept.push(sentFrame);
      options.onSent?.(sentFrame, performance.timeOrigin + performance.now());
      if (!flowing && outcome === undefined) {
        drainWaits++;
        options.onBackpressure?.(stream, sent);
        await waitForDrain(call, response);
      }
    }
    if (outcome === undefined && signal?.aborted !== true) call.end();
  } catch (error) {
    // A failing frame source or an aborted pacing wait: the stream must not look complete.
    failure = error;
    call.cancel();
  } finally {
    await response;
    signal?.removeEventListener("abort", cancel);
  }
  const context = `emit stream ${stream} (${o.method} on ${o.target}, ${sent} frames written)`;
  let error: BridgeError | undefined;
  // An EventResponse that arrived is an acknowledgement, even if the signal fired after it.
  if (outcome === null) error = undefined;
  else if (signal?.aborted === true) {
    error = new BridgeError(ErrorCode.Aborted, `${context}: aborted by its signal`, { cause: outcome ?? failure });
  } else error = BridgeError.from(failure ?? outcome, context);
  return {
    stream,
    sent,
    acknowledged: error === undefined,
    ...(error === undefined ? {} : { error }),
    drainWaits,
    frames: kept,
  };
}

/** Resolves on 'drain', or when the call ends (a cancelled or failed call never drains). */
function waitForDrain(call: grpc.ClientWritableStream<Uint8Array>, response: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off("drain", done);
      resolve();
    };
    call.once("drain", done);
    void response.then(done);
  });
}
