import protobuf from "protobufjs";
import { toBase64 } from "../cloudevents/base64.js";
import { parseFrame } from "../cloudevents/frame.js";
import { bridgeType, TypeName } from "../proto/protos.js";

/** One received message: what the sidecar got, in arrival order. */
export interface ReceivedPayload {
  readonly data: Uint8Array;
  readonly contentType: string;
}

/** The comparison of what an emitter sent with what a sidecar received. */
export interface DeliveryReport {
  /** Events sent (frames that decode to an event). */
  readonly sent: number;
  /** Distinct sent events that arrived at least once. */
  readonly published: number;
  /** Sent events that never arrived. */
  readonly missing: number;
  /** Arrivals beyond the first of each event (at-least-once repeats). */
  readonly duplicates: number;
  /** Arrivals that match no sent event. */
  readonly unexpected: number;
  /** Keys whose events arrived (first occurrences) out of the order they were sent. */
  readonly outOfOrderKeys: readonly string[];
  /** The CloudEvent ids of the first arrival of each event, by position in the sent list. */
  readonly idsBySent: ReadonlyArray<string | undefined>;
}

/** A sent frame with the partition key it belongs to. */
export interface SentFrame {
  readonly bytes: Uint8Array;
  readonly key: string;
}

const cloudEventType = bridgeType(TypeName.CloudEvent);

interface DecodedCloudEvent {
  readonly id: string;
  readonly data: Uint8Array | undefined;
}

/**
 * The event bytes inside a published CloudEvent: `proto_data.value` of the protobuf
 * format. JSON-format payloads are matched by id only (their data is re-rendered), so
 * they return undefined data here.
 */
export function eventBytesOf(payload: ReceivedPayload): DecodedCloudEvent {
  if (payload.contentType.includes("json")) {
    const parsed = JSON.parse(Buffer.from(payload.data).toString("utf8")) as { id?: unknown };
    return { id: String(parsed.id), data: undefined };
  }
  const message = cloudEventType.decode(payload.data) as protobuf.Message & {
    id?: string;
    proto_data?: { value?: Uint8Array };
  };
  return { id: message.id ?? "", data: message.proto_data?.value };
}

/**
 * Compares sent frames with received protobuf CloudEvents by the events' bytes (not by
 * counting): each sent event must arrive at least once; per key, first arrivals must keep
 * the sent order. Frames that do not decode (deliberate garbage) are not counted as sent.
 */
export function compareDelivery(sent: readonly SentFrame[], received: readonly ReceivedPayload[]): DeliveryReport {
  const positions = new Map<string, number[]>();
  let sentCount = 0;
  sent.forEach((frame, index) => {
    let inner: Uint8Array;
    try {
      inner = parseFrame(frame.bytes).bytes;
    } catch {
      return;
    }
    sentCount++;
    const key = toBase64(inner);
    const list = positions.get(key);
    if (list === undefined) positions.set(key, [index]);
    else list.push(index);
  });
  const ids: Array<string | undefined> = new Array<string | undefined>(sent.length);
  const arrivalOrder: number[] = [];
  let duplicates = 0;
  let unexpected = 0;
  const seenIds = new Set<string>();
  for (const payload of received) {
    const { id, data } = eventBytesOf(payload);
    if (data === undefined) continue;
    const list = positions.get(toBase64(data));
    if (list === undefined) {
      unexpected++;
      continue;
    }
    // Identical events (same bytes) are matched in sent order; repeats of an id are duplicates.
    if (seenIds.has(id)) {
      duplicates++;
      continue;
    }
    seenIds.add(id);
    const index = list.find((i) => ids[i] === undefined);
    if (index === undefined) {
      duplicates++;
      continue;
    }
    ids[index] = id;
    arrivalOrder.push(index);
  }
  const lastByKey = new Map<string, number>();
  const outOfOrder = new Set<string>();
  for (const index of arrivalOrder) {
    const key = (sent[index] as SentFrame).key;
    const last = lastByKey.get(key);
    if (last !== undefined && last > index) outOfOrder.add(key);
    lastByKey.set(key, index);
  }
  const published = arrivalOrder.length;
  return {
    sent: sentCount,
    published,
    missing: sentCount - published,
    duplicates,
    unexpected,
    outOfOrderKeys: [...outOfOrder],
    idsBySent: ids,
  };
}
