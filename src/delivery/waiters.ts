import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/**
 * Promises waiting for a condition that the owner re-checks: `wait()` resolves at the next
 * `wake()`, or rejects when its signal aborts (the listener is removed either way).
 */
export class Waiters {
  private waiting: Array<() => void> = [];

  /** Resolves at the next {@link wake}; rejects with a BridgeError when `signal` aborts. */
  wait(signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiting = this.waiting.filter((w) => w !== done);
        reject(BridgeError.from(signal?.reason ?? new BridgeError(ErrorCode.Aborted, "aborted")));
      };
      const done = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(done);
    });
  }

  /** Resolves every pending wait. */
  wake(): void {
    if (this.waiting.length === 0) return;
    const woken = this.waiting;
    this.waiting = [];
    for (const resolve of woken) resolve();
  }
}
