import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { decodeDelivery } from "./decode-delivery.js";
import type { Delivery } from "./delivery.js";

/** What to do instead, said by every error of {@link decodeSdkEvent}. */
const ADVICE =
  "publish the bridge's json format (--format json, or a route's format: json) and subscribe with " +
  "metadata { rawPayload: true } (a boolean: the SDK JSON-encodes metadata values); then the " +
  "callback receives the bridge's whole JSON CloudEvent";

function unusable(what: string): BridgeError {
  return new BridgeError(ErrorCode.Undecodable, `decodeSdkEvent: ${what}; ${ADVICE} (docs/example-subscriber.md)`);
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/**
 * Decodes the first argument a `@dapr/dapr` (3.x) `DaprServer` subscribe callback receives,
 * `server.pubsub.subscribe(pubsub, topic, (data, headers) => ...)`, over HTTP or gRPC.
 *
 * One subscription survives the SDK intact: the bridge's **`json` format** with a
 * **raw-payload** subscription (`subscribe(pubsub, topic, cb, route, { rawPayload: true })`:
 * a boolean, because the SDK JSON-encodes each metadata value and daprd rejects `"\"true\""`). daprd then hands the app the broker message (the
 * bridge's structured JSON CloudEvent) as bytes: base64 in Dapr's envelope over HTTP, raw in
 * `TopicEventRequest.data` over gRPC; the SDK decodes them as UTF-8 and `JSON.parse`s them,
 * so `data` is the bridge's CloudEvent object with its `id`, `source`, `type` and extensions
 * (plus `topic`, `pubsubname` and trace members daprd added when it published).
 *
 * The others cannot work, and are rejected with that advice: the `protobuf` format (the SDK
 * turns the bytes into text, replacing invalid UTF-8: `data` is a corrupted string), and the
 * `json` format without `rawPayload` (the SDK hands only the CloudEvent's `data`: the bridge's
 * `id`, `source` and `type` are gone, so events could be neither typed nor deduplicated).
 * The callback's `headers` carry none of the CloudEvent's attributes on any route (daprd puts
 * only broker metadata there), so this function does not take them.
 *
 * @param data The callback's first argument, as the SDK passed it.
 * @returns The delivery, exactly as {@link decodeDelivery} gives it for the same CloudEvent.
 * @throws BridgeError `undecodable` for the routes above, or when `data` is not from the bridge.
 */
export function decodeSdkEvent(data: unknown): Delivery {
  if (data instanceof Uint8Array) return decodeDelivery(data);
  if (typeof data === "string") {
    throw unusable(
      `the SDK passed text (${data.length} characters), which is what it makes of binary data: ` +
        "a protobuf CloudEvent decoded as UTF-8 has lost bytes and cannot be read back",
    );
  }
  if (!isPlainObject(data)) {
    throw unusable(
      `the SDK passed ${data === null ? "null" : Array.isArray(data) ? "an array" : `a ${typeof data}`}, not a CloudEvent`,
    );
  }
  if (typeof data.specversion !== "string") {
    throw unusable(
      "the SDK passed an object without specversion: the data of a CloudEvent without its envelope " +
        "(a subscription without rawPayload), so the bridge's id, source and type are lost",
    );
  }
  return decodeDelivery(data);
}
