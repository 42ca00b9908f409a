import { getEventListeners } from "node:events";
import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { Waiters } from "./waiters.js";

/** Tracks whether a promise settled, and how. */
function track(promise: Promise<void>): { state: () => "pending" | "resolved" | "rejected"; reason: () => unknown } {
  let state: "pending" | "resolved" | "rejected" = "pending";
  let reason: unknown;
  promise.then(
    () => (state = "resolved"),
    (error: unknown) => {
      state = "rejected";
      reason = error;
    },
  );
  return { state: () => state, reason: () => reason };
}

/** Lets every queued callback run: one full turn of the event loop. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("Waiters", () => {
  it("resolves every pending wait at the next wake()", async () => {
    const waiters = new Waiters();
    const a = track(waiters.wait());
    const b = track(waiters.wait());
    await turn();
    expect([a.state(), b.state()]).toEqual(["pending", "pending"]);
    waiters.wake();
    await turn();
    expect([a.state(), b.state()]).toEqual(["resolved", "resolved"]);
  });

  it("does not remember a wake() that came before the wait", async () => {
    const waiters = new Waiters();
    waiters.wake();
    const late = track(waiters.wait());
    await turn();
    expect(late.state()).toBe("pending");
    waiters.wake();
    await turn();
    expect(late.state()).toBe("resolved");
  });

  it("leaves a wait started by a woken waiter for the next wake()", async () => {
    const waiters = new Waiters();
    let again: ReturnType<typeof track> | undefined;
    void waiters.wait().then(() => {
      again = track(waiters.wait());
    });
    waiters.wake();
    await turn();
    expect(again?.state()).toBe("pending");
    waiters.wake();
    await turn();
    expect(again?.state()).toBe("resolved");
  });

  it("rejects at once with a BridgeError (aborted) for a signal already aborted, and adds no listener", async () => {
    const waiters = new Waiters();
    const signal = AbortSignal.abort();
    const error = await waiters.wait(signal).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe(ErrorCode.Aborted);
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  it("rejects with the signal's BridgeError reason when it aborts while waiting, and the others still wake", async () => {
    const waiters = new Waiters();
    const controller = new AbortController();
    const shutdown = new BridgeError(ErrorCode.Unavailable, "shutting down");
    const aborted = track(waiters.wait(controller.signal));
    const other = track(waiters.wait());
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(1);
    controller.abort(shutdown);
    await turn();
    expect(aborted.state()).toBe("rejected");
    expect(aborted.reason()).toBe(shutdown);
    expect(other.state()).toBe("pending");
    waiters.wake();
    await turn();
    expect(other.state()).toBe("resolved");
    expect(aborted.state()).toBe("rejected");
  });

  it("wraps a reason that is not a BridgeError", async () => {
    const waiters = new Waiters();
    const controller = new AbortController();
    const waiting = waiters.wait(controller.signal);
    controller.abort(new Error("stop"));
    const error = await waiting.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).message).toContain("stop");
  });

  it("removes its abort listener once woken, so a later abort changes nothing", async () => {
    const waiters = new Waiters();
    const controller = new AbortController();
    const woken = track(waiters.wait(controller.signal));
    waiters.wake();
    await turn();
    expect(woken.state()).toBe("resolved");
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
    controller.abort();
    await turn();
    expect(woken.state()).toBe("resolved");
  });

  it("wake() with nobody waiting is harmless", async () => {
    const waiters = new Waiters();
    waiters.wake();
    waiters.wake();
    const w = track(waiters.wait());
    waiters.wake();
    await turn();
    expect(w.state()).toBe("resolved");
  });
});
