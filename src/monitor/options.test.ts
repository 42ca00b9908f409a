import { describe, expect, it } from "vitest";
import { resolveMonitorOptions } from "./options.js";

describe("resolveMonitorOptions", () => {
  it("applies the defaults: loopback, SQLite, the protobuf topic on a raw subscription, 7 days", () => {
    const options = resolveMonitorOptions({ appApiToken: "t" }, "/ui");
    expect(options).toMatchObject({
      listen: "127.0.0.1:8181",
      db: "./data/monitor.sqlite",
      subscriptions: [{ pubsub: "pubsub", topic: "dapr-events", rawPayload: true }],
      route: "/events",
      retentionMs: 7 * 86_400_000,
      uiDir: "/ui",
      appApiToken: "t",
    });
  });

  it("says what is wrong and what to do", () => {
    expect(() => resolveMonitorOptions({ retentionMs: 10 }, "/ui")).toThrow(
      'monitor --retention: expected a number >= 60000, got 10; use a duration of at least 1m, or "forever"',
    );
    expect(() => resolveMonitorOptions({ route: "/api/x" }, "/ui")).toThrow(/monitor --route: expected a path/);
    expect(() =>
      resolveMonitorOptions({ subscriptions: [{ pubsub: "", topic: "t", rawPayload: true }] }, "/ui"),
    ).toThrow(/--subscribe: expected PUBSUB\/TOPIC/);
    expect(() => resolveMonitorOptions({ listen: "0.0.0.0" }, "/ui")).toThrow(/monitor --listen: expected HOST:PORT/);
  });

  it("accepts retention forever", () => {
    expect(resolveMonitorOptions({ retentionMs: Number.POSITIVE_INFINITY }, "/ui").retentionMs).toBe(
      Number.POSITIVE_INFINITY,
    );
  });
});
