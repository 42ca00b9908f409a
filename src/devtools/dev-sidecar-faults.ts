import { status as GrpcStatus } from "@grpc/grpc-js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** Faults the dev sidecar injects into publish calls. Changeable while it runs. */
export interface DevSidecarFaults {
  /** Share of publish calls that fail as a whole with `failureCode`, 0..1. @default 0 */
  readonly failureRate: number;
  /** gRPC status of injected failures. @default status.UNAVAILABLE */
  readonly failureCode: GrpcStatus;
  /** Delay before a publish call is answered, in milliseconds. @default 0 */
  readonly latencyMs: number;
  /** When true every publish call fails with UNAVAILABLE, as a sidecar that cannot be reached would. @default false */
  readonly unavailable: boolean;
  /**
   * When true every publish call fails as daprd's does when the broker behind its pubsub is down
   * (or its circuit breaker open): INTERNAL "error when publishing to topic T in pubsub P: ...".
   * @default false
   */
  readonly brokerDown: boolean;
  /**
   * Topics whose publish calls fail with the given gRPC status. PERMISSION_DENIED answers as
   * daprd refuses a topic its publishingScopes do not allow: "topic T is not allowed for app id A".
   * @default {}
   */
  readonly rejectTopics: Readonly<Record<string, GrpcStatus>>;
}

/** The faults of a sidecar that injects none. */
export const NO_FAULTS: DevSidecarFaults = {
  failureRate: 0,
  failureCode: GrpcStatus.UNAVAILABLE,
  latencyMs: 0,
  unavailable: false,
  brokerDown: false,
  rejectTopics: {},
};

/**
 * The message daprd answers a failed publish with, by gRPC status (dapr/dapr
 * `pkg/api/errors/pubsub.go`): INTERNAL is `PublishMessage` (reason DAPR_PUBSUB_PUBLISH_MESSAGE),
 * PERMISSION_DENIED is `PublishForbidden` (DAPR_PUBSUB_FORBIDDEN), NOT_FOUND is its test not-found.
 * Other statuses get a plain message naming the fault.
 */
export function faultMessage(code: GrpcStatus, pubsub: string, topic: string, appId: string): string {
  switch (code) {
    case GrpcStatus.INTERNAL:
      return `error when publishing to topic ${topic} in pubsub ${pubsub}: dev-sidecar: the broker is unavailable`;
    case GrpcStatus.PERMISSION_DENIED:
      return `topic ${topic} is not allowed for app id ${appId}`;
    case GrpcStatus.NOT_FOUND:
      return `pubsub '${pubsub}' not found`;
    default:
      return `the dev sidecar injects ${GrpcStatus[code]} for topic ${topic}`;
  }
}

function isStatus(code: number): code is GrpcStatus {
  return Number.isInteger(code) && code >= 1 && code <= 16;
}

function invalid(option: string, expected: string, given: unknown): BridgeError {
  return new BridgeError(ErrorCode.InvalidConfig, `${option}: expected ${expected}, got ${String(given)}`);
}

/** Applies `change` over `current`, rejecting values out of range with a message naming the field. */
export function mergeFaults(current: DevSidecarFaults, change: Partial<DevSidecarFaults>): DevSidecarFaults {
  const next: DevSidecarFaults = { ...current, ...change };
  if (!(next.failureRate >= 0 && next.failureRate <= 1)) {
    throw invalid("failureRate", "a number from 0 to 1", next.failureRate);
  }
  if (!isStatus(next.failureCode)) throw invalid("failureCode", "a gRPC status code from 1 to 16", next.failureCode);
  if (!(Number.isFinite(next.latencyMs) && next.latencyMs >= 0)) {
    throw invalid("latencyMs", "a number of milliseconds of at least 0", next.latencyMs);
  }
  for (const [topic, code] of Object.entries(next.rejectTopics)) {
    if (!isStatus(code)) throw invalid(`rejectTopics.${topic}`, "a gRPC status code from 1 to 16", code);
  }
  return next;
}

/** Parses a gRPC status given by name (`UNAVAILABLE`) or number (`14`); undefined when it is neither. */
export function parseGrpcStatus(text: string): GrpcStatus | undefined {
  const upper = text.trim().toUpperCase();
  const byName = (GrpcStatus as unknown as Record<string, unknown>)[upper];
  if (typeof byName === "number" && isStatus(byName)) return byName;
  const byNumber = Number(upper);
  return upper !== "" && isStatus(byNumber) ? byNumber : undefined;
}

/**
 * A seeded pseudo-random generator (mulberry32) returning numbers in [0, 1): the same seed
 * gives the same failure pattern, so a fault run can be reproduced.
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Resolves after `ms` milliseconds, or rejects with an Aborted BridgeError when `signal` aborts. */
export function delay(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new BridgeError(ErrorCode.Aborted, "the wait was cancelled", { cause: signal?.reason }));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}
