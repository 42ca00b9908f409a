import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { SidecarReachability } from "./metrics.js";

/** Options of a {@link SidecarProbe}. */
export interface SidecarProbeOptions {
  /** Asks the sidecar whether it answers (e.g. `DaprPublisher.checkSidecar`); a rejection counts as unreachable. */
  readonly check: (signal: AbortSignal) => Promise<boolean>;
  /** Least time between two probes, ms. @default 5000 */
  readonly intervalMs?: number;
  /** Time a probe may take before it counts as unreachable, ms. @default 1000 */
  readonly timeoutMs?: number;
  /** Called with each probe's result (metrics). */
  readonly onResult?: (reachable: boolean) => void;
  /** Monotonic clock, ms. @default performance.now */
  readonly now?: () => number;
}

/**
 * A cached probe of the bridge's Dapr sidecar: at most one probe per `intervalMs`, each
 * bounded by `timeoutMs`; concurrent readers share the probe in flight. A probe never
 * rejects: an error or a timeout counts as unreachable.
 */
export class SidecarProbe {
  private readonly check: (signal: AbortSignal) => Promise<boolean>;
  private readonly intervalMs: number;
  private readonly timeoutMs: number;
  private readonly onResult: ((reachable: boolean) => void) | undefined;
  private readonly now: () => number;
  private readonly closed = new AbortController();
  private state: SidecarReachability = "unknown";
  private startedAt: number | undefined;
  private inFlight: Promise<void> | undefined;

  constructor(options: SidecarProbeOptions) {
    this.check = options.check;
    this.intervalMs = options.intervalMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.onResult = options.onResult;
    this.now = options.now ?? (() => performance.now());
    for (const [name, value] of [
      ["intervalMs", this.intervalMs],
      ["timeoutMs", this.timeoutMs],
    ] as const) {
      if (!Number.isFinite(value) || value < 0) {
        throw new BridgeError(
          ErrorCode.InvalidConfig,
          `SidecarProbe ${name}: expected a number of ms >= 0, got ${value}`,
        );
      }
    }
  }

  /** The last result, without probing. */
  last(): SidecarReachability {
    return this.state;
  }

  /**
   * The sidecar's reachability without waiting on a known result: when the last probe is
   * older than `intervalMs` a new one starts in the background and the last result is
   * returned (a health check must answer fast even when the sidecar hangs). Only while no
   * probe has finished yet does it wait for the one in flight, at most `timeoutMs`.
   */
  async current(signal?: AbortSignal): Promise<SidecarReachability> {
    const inFlight = this.startIfStale();
    if (this.state === "unknown" && inFlight !== undefined) await untilAborted(inFlight, signal);
    return this.state;
  }

  /** A fresh result: joins the probe in flight or starts one when the last is stale, and waits for it. */
  async refresh(signal?: AbortSignal): Promise<SidecarReachability> {
    const inFlight = this.startIfStale();
    if (inFlight !== undefined) await untilAborted(inFlight, signal);
    return this.state;
  }

  private startIfStale(): Promise<void> | undefined {
    const now = this.now();
    if (this.inFlight === undefined && (this.startedAt === undefined || now - this.startedAt >= this.intervalMs)) {
      this.startedAt = now;
      this.inFlight = this.probe().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** Stops a probe in flight; later calls return the last result. */
  close(): void {
    this.closed.abort(new BridgeError(ErrorCode.Aborted, "the sidecar probe is closed"));
  }

  private async probe(): Promise<void> {
    if (this.closed.signal.aborted) return;
    const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closed.signal]);
    let reachable: boolean;
    try {
      // Raced against the signal too: a check that ignores its signal cannot hold a reader.
      reachable = await untilAborted(this.check(signal), signal);
    } catch {
      reachable = false;
    }
    if (this.closed.signal.aborted) return;
    this.state = reachable ? "reachable" : "unreachable";
    this.onResult?.(reachable);
  }
}

/** `promise`, or a rejection with the signal's reason once it aborts. */
async function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(BridgeError.from(signal.reason));
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort !== undefined) signal.removeEventListener("abort", onAbort);
  }
}
