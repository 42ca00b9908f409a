import type { DevSidecar } from "../src/devtools/dev-sidecar.js";
import { eventBytesOf } from "../src/devtools/delivery-check.js";
import { emit } from "../src/devtools/emitter.js";
import type { BenchLoad } from "./load.js";
import { bytesKey, innerEventKey } from "./load.js";
import { wallClockMs } from "./stats.js";

/** Options of {@link drive}. */
export interface DriveOptions {
  /** The sink's `HOST:PORT`. */
  readonly target: string;
  /** Events per second over all streams; 0 = as fast as flow control allows. @default 0 */
  readonly ratePerSec?: number;
  readonly signal?: AbortSignal;
}

/** What {@link drive} sent. */
export interface DriveResult {
  /** Wall-clock ms just before the first frame. */
  readonly startedAt: number;
  /** Per stream, the wall-clock send time of each frame, by index. */
  readonly sentAt: readonly Float64Array[];
  /** Whether every stream got its `EventResponse` (everything was accepted by the sink). */
  readonly acknowledged: boolean;
  readonly error?: string;
}

/** The `dapr-app-id` of stream `i`, which baseline sinks record arrivals under. */
export function streamAppId(stream: number): string {
  return `bench-s${stream}`;
}

/**
 * Sends the load's pre-generated frames: one emitter call per stream (each its own app id),
 * all concurrent, the rate split evenly; records each frame's send time.
 */
export async function drive(load: BenchLoad, options: DriveOptions): Promise<DriveResult> {
  const rate = options.ratePerSec ?? 0;
  const sentAt = load.streams.map((frames) => new Float64Array(frames.length));
  const startedAt = wallClockMs();
  const results = await Promise.all(
    load.streams.map((frames, stream) => {
      const times = sentAt[stream] ?? new Float64Array(0);
      return emit({
        target: options.target,
        appId: streamAppId(stream),
        frames,
        ratePerSec: rate / load.streams.length,
        onSent: (frame, at) => {
          times[frame.index] = at;
        },
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      });
    }),
  );
  const failed = results.find((r) => !r.acknowledged);
  return {
    startedAt,
    sentAt,
    acknowledged: failed === undefined,
    ...(failed?.error === undefined ? {} : { error: failed.error.message }),
  };
}

/**
 * Stamps the arrival of each event at a dev sidecar with a sub-millisecond wall clock (its own
 * `receivedAt` is `Date.now()`, whole milliseconds): the stamp is taken synchronously when the
 * sidecar stores a call's events, so all entries of one bulk call share it, as they arrived together.
 */
export class ArrivalRecorder {
  /** Arrival time of `sidecar.received()[i]`. */
  times: number[] = [];

  constructor(private readonly sidecar: DevSidecar) {}

  /** Forgets the sidecar's events and the stamps (between phases). */
  reset(): void {
    this.sidecar.clear();
    this.times = [];
  }

  /** Resolves once `count` events have arrived. Start it before sending, so every arrival is stamped. */
  async waitForCount(count: number, timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.sidecar.waitFor(
      (received) => {
        if (this.times.length < received.length) {
          const now = wallClockMs();
          while (this.times.length < received.length) this.times.push(now);
        }
        return received.length >= count;
      },
      { timeoutMs, ...(signal === undefined ? {} : { signal }) },
    );
  }
}

/** How arrivals at the sidecar are matched to sent frames. */
export type PayloadMatch = "cloudevent" | "raw-frame";

/** Matched sends and arrivals of one phase. */
export interface MatchResult {
  /** Distinct sent events that arrived. */
  readonly delivered: number;
  /** Sent events that never arrived. */
  readonly missing: number;
  /** Latency of each delivered event (first arrival − send), ms. */
  readonly latencies: number[];
  /** The last first-arrival, wall-clock ms. */
  readonly lastArrival: number;
}

/**
 * Matches what the sidecar received with what was sent, by bytes: a CloudEvent's
 * `proto_data.value` equals the frame's inner event bytes (bridge); a naive collector publishes
 * the frame itself.
 */
export function matchArrivals(
  load: BenchLoad,
  sentAt: readonly Float64Array[],
  sidecar: DevSidecar,
  times: readonly number[],
  match: PayloadMatch,
): MatchResult {
  // Identical events (an actor activated twice: no time inside) share bytes; they share a key
  // too, whose order the bridge keeps, so they are matched first sent, first arrived.
  const sent = new Map<string, number[]>();
  let missing = 0;
  load.streams.forEach((frames, stream) => {
    frames.forEach((frame, index) => {
      const key = match === "cloudevent" ? innerEventKey(frame.bytes) : bytesKey(frame.bytes);
      const at = sentAt[stream]?.[index] ?? Number.NaN;
      const list = sent.get(key);
      if (list === undefined) sent.set(key, [at]);
      else list.push(at);
      missing++;
    });
  });
  const latencies: number[] = [];
  let lastArrival = Number.NaN;
  sidecar.received().forEach((payload, i) => {
    const data = match === "cloudevent" ? eventBytesOf(payload).data : payload.data;
    if (data === undefined) return;
    const key = bytesKey(data);
    const at = sent.get(key)?.shift();
    if (at === undefined) return;
    missing--;
    const arrival = times[i] ?? payload.receivedAt;
    latencies.push(arrival - at);
    lastArrival = Number.isNaN(lastArrival) ? arrival : Math.max(lastArrival, arrival);
  });
  return { delivered: latencies.length, missing, latencies, lastArrival };
}
