import { describe, expect, it } from "vitest";
import { subscriberBody } from "../../src/devtools/dev-sidecar-subscribers.js";
import type { ReceivedEvent } from "../../src/devtools/dev-sidecar-store.js";
import { feedMonitor } from "./feed.js";

const START = Date.parse("2026-11-30T07:00:00Z");

function received(data: string, metadata: Record<string, string> = {}): ReceivedEvent {
  return {
    pubsub: "pubsub",
    topic: "dapr-events",
    data: Buffer.from(data),
    contentType: "application/cloudevents+protobuf",
    metadata,
    raw: true,
    method: "BulkPublishEvent",
    receivedAt: 0,
  };
}

describe("the dev sidecar's delivery to a subscriber app", () => {
  it("wraps a raw message as daprd does: its own CloudEvent, keys sorted, the bytes in data_base64", () => {
    const body = subscriberBody(
      { pubsub: "pubsub", topic: "dapr-events", route: "/events", rawPayload: true },
      received("\x0a\x01x", { traceid: "00-a-b-01", tracestate: "" }),
    );
    const parsed = JSON.parse(String(body)) as Record<string, string>;
    expect(Object.keys(parsed)).toEqual([...Object.keys(parsed)].sort());
    expect(parsed).toMatchObject({
      specversion: "1.0",
      datacontenttype: "application/octet-stream",
      source: "Dapr",
      type: "com.dapr.event.sent",
      topic: "dapr-events",
      pubsubname: "pubsub",
      data_base64: Buffer.from("\x0a\x01x").toString("base64"),
      traceid: "00-a-b-01",
      tracestate: "",
    });
    expect(parsed["id"]).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("posts a non-raw message as the broker holds it, and cannot deliver one that is not JSON", () => {
    const subscription = { pubsub: "pubsub", topic: "dapr-events", route: "/events", rawPayload: false };
    expect(String(subscriberBody(subscription, received('{"id":"1"}')))).toBe('{"id":"1"}');
    expect(subscriberBody(subscription, received("\x0a\x01x"))).toBeUndefined();
  });

  it.each(["protobuf", "json"] as const)(
    "feeds the monitor every event the bridge publishes in the %s format",
    async (format) => {
      const { sent, snapshot, stats } = await feedMonitor({
        kind: "dev-sidecar",
        format,
        perStream: 150,
        startTimeMs: START,
      });
      expect(sent).toBe(300);
      expect(stats).toEqual({ ingested: 300, duplicates: 0, dropped: 0 });
      const events = snapshot.instances.reduce((sum, i) => sum + Number(i["eventCount"]), 0);
      const actorEvents = (snapshot.actors as Array<Record<string, number>>).reduce(
        (sum, a) =>
          sum + (a["activations"] ?? 0) + (a["invocations"] ?? 0) + (a["reminders"] ?? 0) + (a["timers"] ?? 0),
        0,
      );
      expect(events).toBeGreaterThan(150);
      // Every event is in a history or an actor counter (deactivations are not reported).
      expect(events + actorEvents).toBeLessThanOrEqual(300);
      expect(snapshot.instances.every((i) => i["app"] === "shop")).toBe(true);
      expect(snapshot.workflows.length).toBeGreaterThan(0);
    },
  );

  it("gives the same projection for both formats", async () => {
    const [protobuf, json] = [
      await feedMonitor({ kind: "dev-sidecar", format: "protobuf", perStream: 100, startTimeMs: START }),
      await feedMonitor({ kind: "dev-sidecar", format: "json", perStream: 100, startTimeMs: START }),
    ];
    expect(json.snapshot).toEqual(protobuf.snapshot);
  });
});
