import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BridgeConfig } from "../../src/config/bridge-config.js";

/** A temp directory removed by the returned function. */
export function tempDir(prefix = "bridge-test-"): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * A full configuration for tests: the documented defaults, loopback port 0, quiet logs,
 * and fast retries (so fault tests finish quickly); override anything.
 */
export function testConfig(overrides: Partial<BridgeConfig> & Pick<BridgeConfig, "daprGrpcEndpoint">): BridgeConfig {
  return {
    listen: "127.0.0.1:0",
    maxMessageBytes: 4 * 1024 * 1024,
    sinkMaxStreams: 1024,
    sinkMaxStreamsPerConnection: 8,
    sinkMaxConnections: 4096,
    sinkMemoryBudgetBytes: 256 * 1024 * 1024,
    sinkIdleTimeoutMs: 15_000,
    sinkKeepaliveTimeMs: 30_000,
    sinkKeepaliveTimeoutMs: 10_000,
    sinkMaxEmptyFrames: 100,
    allowPlaintextPublic: false,
    format: "protobuf",
    publishTimeoutMs: 5000,
    pubsub: "pubsub",
    topic: "dapr-events",
    deadLetterPubsub: "pubsub",
    deadLetterTopic: "dapr-events-deadletter",
    appId: "unknown",
    namespace: "default",
    durability: "memory",
    spoolDir: "./data",
    spoolMaxEvents: 1_000_000,
    spoolMaxBytes: 1024 * 1024 * 1024,
    maxInMemoryEvents: 10_000,
    ordering: "key",
    retry: { initialBackoffMs: 5, multiplier: 2, maxBackoffMs: 50, maxAttempts: 10 },
    batch: { maxEntries: 100, maxBytes: 1024 * 1024, lingerMs: 0, maxInFlight: 8 },
    drainTimeoutMs: 20_000,
    routes: [],
    metricsListen: "",
    logLevel: "silent",
    ...overrides,
  };
}
