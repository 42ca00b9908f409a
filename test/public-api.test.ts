import { describe, expect, it } from "vitest";

// The package's entry points, as a user imports them (the built package, through its "exports").
// The root's runtime exports are pinned: widening the stable surface is a decision, not an accident.

describe("the public API", () => {
  it("the root exports the Bridge, configuration and errors, and nothing else at run time", async () => {
    const root = (await import("dapr-event-bridge")) as Record<string, unknown>;
    expect(Object.keys(root).sort()).toEqual([
      "Bridge",
      "BridgeError",
      "ErrorCode",
      "maskSecrets",
      "resolveConfig",
      "validateConfig",
    ]);
  });

  it("test doubles live behind ./devtools, not the root", async () => {
    const devtools = (await import("dapr-event-bridge/devtools")) as Record<string, unknown>;
    for (const name of ["DevSidecar", "emit", "takeEvents", "compareDelivery", "runDemo", "startDaprd", "startRedis"]) {
      expect(typeof devtools[name], name).toBe("function");
    }
    const root = (await import("dapr-event-bridge")) as Record<string, unknown>;
    expect(root["DevSidecar"]).toBeUndefined();
  });

  it("subscribers' helpers are behind ./consumer", async () => {
    const consumer = (await import("dapr-event-bridge/consumer")) as Record<string, unknown>;
    expect(typeof consumer["decodeDelivery"]).toBe("function");
    expect(typeof consumer["decodeSdkEvent"]).toBe("function");
  });
});
