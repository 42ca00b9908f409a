import { describe, expect, it } from "vitest";
import { BridgeError } from "../errors/bridge-error.js";
import { grpcServerOptions, resolveSinkLimits, StreamGate, streamLimitError } from "./sink-limits.js";

const MiB = 1024 * 1024;

describe("resolveSinkLimits", () => {
  it("bounds the streams by the memory budget over the message size", () => {
    const limits = resolveSinkLimits({}, MiB);
    expect(limits.streamLimit).toBe(256);
    expect(limits.streamLimitBy).toBe("memory_budget");
    expect(streamLimitError(limits, MiB).message).toMatch(
      /sinkMemoryBudgetBytes 268435456 \/ maxMessageBytes 1048576.*--sink-memory-budget/,
    );
  });

  it("uses sinkMaxStreams when the budget allows more", () => {
    const limits = resolveSinkLimits({ maxStreams: 100 }, 64 * 1024);
    expect(limits.streamLimit).toBe(100);
    expect(limits.streamLimitBy).toBe("streams");
    expect(streamLimitError(limits, 64 * 1024).message).toMatch(/100 event streams open.*--sink-max-streams/);
  });

  it("rejects a limit below 1, naming it", () => {
    expect(() => resolveSinkLimits({ maxConnections: 0 }, MiB)).toThrow(BridgeError);
    expect(() => resolveSinkLimits({ maxConnections: 0 }, MiB)).toThrow(
      /maxConnections: expected an integer >= 1, got 0/,
    );
  });

  it("sets per-connection streams, idle and keepalive, and no connection age", () => {
    const options = grpcServerOptions(resolveSinkLimits({ idleTimeoutMs: 5000 }, MiB), MiB);
    expect(options["grpc.max_concurrent_streams"]).toBe(8);
    expect(options["grpc.max_connection_idle_ms"]).toBe(5000);
    expect(options["grpc.keepalive_time_ms"]).toBe(30_000);
    expect(options["grpc.max_connection_age_ms"]).toBeUndefined();
  });
});

describe("StreamGate", () => {
  it("hands out slots up to its limit; a release is idempotent", () => {
    const gate = new StreamGate(2);
    const a = gate.tryAcquire();
    const b = gate.tryAcquire();
    expect(gate.tryAcquire()).toBeUndefined();
    a?.();
    a?.();
    expect(gate.size).toBe(1);
    expect(gate.tryAcquire()).toBeDefined();
    b?.();
    expect(gate.size).toBe(1);
  });
});
