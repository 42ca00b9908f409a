import { decodeDelivery } from "../consumer/decode-delivery.js";
import type { Delivery } from "../consumer/delivery.js";

const OPEN_BRACE = 0x7b;

/**
 * Decodes what daprd posts to the monitor, in either of the bridge's formats:
 *
 * - the protobuf format on a raw subscription: daprd's envelope with the bytes in `data_base64`;
 * - the json format on an ordinary subscription: the bridge's JSON CloudEvent, re-serialised;
 * - the json format on a raw subscription: daprd's envelope whose `data_base64` holds the
 *   bridge's JSON CloudEvent (the one case `decodeDelivery` reads as protobuf, so it is
 *   unwrapped here first).
 *
 * @throws BridgeError `undecodable` (from `decodeDelivery`) for a body that is not from the bridge.
 */
export function decodeBody(body: Uint8Array): Delivery {
  const text = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (text[0] === OPEN_BRACE) {
    let envelope: unknown;
    try {
      envelope = JSON.parse(text.toString("utf8"));
    } catch {
      return decodeDelivery(body);
    }
    if (typeof envelope === "object" && envelope !== null && !Array.isArray(envelope)) {
      const base64 = (envelope as Record<string, unknown>)["data_base64"];
      if (typeof base64 === "string") {
        const inner = Buffer.from(base64, "base64");
        if (inner[0] === OPEN_BRACE) return decodeDelivery(inner);
      }
      return decodeDelivery(envelope);
    }
  }
  return decodeDelivery(body);
}
