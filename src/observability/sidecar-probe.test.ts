import { describe, expect, it } from "vitest";
import { BridgeError } from "../errors/bridge-error.js";
import { SidecarProbe } from "./sidecar-probe.js";

describe("SidecarProbe", () => {
  it("probes at most once per interval by its clock, and reports each result", async () => {
    let now = 0;
    let calls = 0;
    let answer = true;
    const results: boolean[] = [];
    const probe = new SidecarProbe({
      check: () => {
        calls++;
        return Promise.resolve(answer);
      },
      intervalMs: 5000,
      now: () => now,
      onResult: (reachable) => results.push(reachable),
    });
    expect(probe.last()).toBe("unknown");
    expect(await probe.current()).toBe("reachable");
    answer = false;
    now = 4999;
    expect(await probe.current()).toBe("reachable");
    expect(calls).toBe(1);
    now = 5000;
    expect(await probe.current()).toBe("reachable"); // stale: answered at once, a new probe starts
    expect(await probe.refresh()).toBe("unreachable"); // joins that probe

    expect(calls).toBe(2);
    expect(results).toEqual([true, false]);
    probe.close();
  });

  it("shares the probe in flight between readers", async () => {
    let calls = 0;
    let answer: ((reachable: boolean) => void) | undefined;
    const probe = new SidecarProbe({
      check: () => {
        calls++;
        return new Promise<boolean>((resolve) => (answer = resolve));
      },
      intervalMs: 0,
    });
    const first = probe.current();
    const second = probe.current();
    answer?.(true);
    expect(await Promise.all([first, second])).toEqual(["reachable", "reachable"]);
    expect(calls).toBe(1);
    probe.close();
  });

  it("passes a signal that aborts at the timeout, and stops waiting on close", async () => {
    let seen: AbortSignal | undefined;
    const probe = new SidecarProbe({
      check: (signal) => {
        seen = signal;
        return new Promise<boolean>(() => undefined);
      },
      timeoutMs: 10,
    });
    expect(await probe.current()).toBe("unreachable");
    expect(seen?.aborted).toBe(true);

    const closing = new SidecarProbe({ check: () => new Promise<boolean>(() => undefined), timeoutMs: 60_000 });
    const pending = closing.current();
    closing.close();
    expect(await pending).toBe("unknown");
  });

  it("lets a caller's signal stop waiting", async () => {
    const probe = new SidecarProbe({ check: () => new Promise<boolean>(() => undefined), timeoutMs: 60_000 });
    const caller = new AbortController();
    const pending = probe.current(caller.signal);
    caller.abort(new Error("request gone"));
    await expect(pending).rejects.toThrow(BridgeError);
    probe.close();
  });

  it("rejects a negative interval", () => {
    expect(() => new SidecarProbe({ check: () => Promise.resolve(true), intervalMs: -1 })).toThrow(/intervalMs/);
  });
});
