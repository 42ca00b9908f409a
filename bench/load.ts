import { toBase64 } from "../src/cloudevents/base64.js";
import { parseFrame } from "../src/cloudevents/frame.js";
import { takeEvents, type GeneratedEvent } from "../src/devtools/sequences.js";

/** Options of {@link prepareLoad}. */
export interface LoadOptions {
  /** Events over all streams. */
  readonly events: number;
  /** Emitter streams (one per simulated daprd); stream `i` has seed `seed + i` and key prefix `s<i>-`. @default 4 */
  readonly streams?: number;
  /** Seed of stream 0. @default 1 */
  readonly seed?: number;
  /** Workflow instances (and actor activations) in flight at once per stream: the number of active partition keys. @default 6 */
  readonly concurrency?: number;
  /** Share of workflow events, 0..1. @default 0.7 */
  readonly workflowRatio?: number;
}

/** A pre-generated, seeded load: the frames of each stream, encoded before any timing starts. */
export interface BenchLoad {
  readonly events: number;
  readonly streams: readonly (readonly GeneratedEvent[])[];
}

/** Generates the frames of every stream (generation cost stays out of the measurements). */
export function prepareLoad(options: LoadOptions): BenchLoad {
  const streamCount = options.streams ?? 4;
  const seed = options.seed ?? 1;
  const streams = Array.from({ length: streamCount }, (_, i) => {
    const count = Math.floor(options.events / streamCount) + (i < options.events % streamCount ? 1 : 0);
    return takeEvents(count, {
      seed: seed + i,
      keyPrefix: `s${i}-`,
      workflowRatio: options.workflowRatio ?? 0.7,
      concurrency: options.concurrency ?? 50,
    });
  });
  return { events: options.events, streams };
}

/** The first `events` events of `load`, taken evenly from its streams (for a shorter phase on the same load). */
export function sliceLoad(load: BenchLoad, events: number): BenchLoad {
  if (events >= load.events) return load;
  const per = Math.max(1, Math.floor(events / load.streams.length));
  const streams = load.streams.map((frames) => frames.slice(0, per));
  return { events: streams.reduce((n, s) => n + s.length, 0), streams };
}

/** A map key of bytes (base64: cheap, exact). */
export const bytesKey: (bytes: Uint8Array) => string = toBase64;

/** The key of a frame's inner event bytes: what the bridge publishes as the CloudEvent's `proto_data.value`. */
export function innerEventKey(frame: Uint8Array): string {
  return bytesKey(parseFrame(frame).bytes);
}
