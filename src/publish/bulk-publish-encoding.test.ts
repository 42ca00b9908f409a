import { describe, expect, it } from "vitest";
import { daprRuntimeProtos } from "../proto/protos.js";
import { encodeBulkPublishRequest, type BulkPublishRequest } from "./bulk-publish-encoding.js";

const requestType = daprRuntimeProtos().lookupType("dapr.proto.runtime.v1.BulkPublishRequest");

function protobufjs(request: BulkPublishRequest): Uint8Array {
  return requestType.encode(request).finish();
}

/** A seeded pseudo-random source, so a failure names the case that broke. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

const ALPHABET = ["a", "Z", "0", "-", "/", "é", "日", "😀", " "];

function text(next: () => number, max: number): string {
  let out = "";
  const length = Math.floor(next() * max);
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(next() * ALPHABET.length)] ?? "a";
  return out;
}

function generated(seed: number): BulkPublishRequest {
  const next = random(seed);
  const entries = Array.from({ length: Math.floor(next() * 6) }, (_, i) => ({
    entry_id: String(i + Math.floor(next() * 100_000)),
    event: Uint8Array.from({ length: Math.floor(next() * 300) }, () => Math.floor(next() * 256)),
    content_type: next() < 0.5 ? "application/cloudevents+protobuf" : text(next, 40),
    metadata: Object.fromEntries(
      Array.from({ length: Math.floor(next() * 3) }, () => [text(next, 12), text(next, 20)]),
    ),
  }));
  return {
    pubsub_name: text(next, 20),
    topic: text(next, 200),
    entries,
    metadata: next() < 0.5 ? { rawPayload: "true" } : {},
  };
}

describe("encodeBulkPublishRequest", () => {
  it("writes the bridge's requests byte for byte as protobufjs does", () => {
    const request: BulkPublishRequest = {
      pubsub_name: "pubsub",
      topic: "dapr-events",
      entries: [
        {
          entry_id: "17",
          event: new Uint8Array([10, 3, 1, 2, 3]),
          content_type: "application/cloudevents+protobuf",
          metadata: { partitionKey: "wf-1", "content-type": "application/cloudevents+protobuf" },
        },
        {
          entry_id: "18",
          event: new Uint8Array(200).fill(7),
          content_type: "application/cloudevents+json",
          metadata: {},
        },
      ],
      metadata: { rawPayload: "true" },
    };
    expect(Buffer.from(encodeBulkPublishRequest(request))).toEqual(Buffer.from(protobufjs(request)));
  });

  it("agrees with protobufjs on 2 000 generated requests (empty, non-ASCII and long strings, empty maps)", () => {
    for (let seed = 1; seed <= 2_000; seed++) {
      const request = generated(seed);
      const ours = Buffer.from(encodeBulkPublishRequest(request));
      const theirs = Buffer.from(protobufjs(request));
      if (!ours.equals(theirs))
        expect({ seed, ours: ours.toString("hex") }).toEqual({ seed, ours: theirs.toString("hex") });
    }
  });
});
