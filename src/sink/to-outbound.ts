import { convertFrame, undecodableRecord } from "../cloudevents/convert.js";
import { encodeJson } from "../cloudevents/encode-json.js";
import { encodeProtobuf } from "../cloudevents/encode-protobuf.js";
import type { CloudEventRecord, EventFormat, SourceIdentity } from "../cloudevents/record.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { RouteDecision } from "../routing/router.js";
import type { OutboundEvent } from "../spool/spool.js";
import { EventIds } from "./event-ids.js";

/** Options of {@link OutboundFactory}. */
export interface OutboundFactoryOptions {
  /** Decides pubsub, topic and format (or a drop) per event. */
  readonly route: (record: CloudEventRecord) => RouteDecision;
  readonly deadLetterPubsub: string;
  readonly deadLetterTopic: string;
  /** Format of dead letters of undecodable input. @default "protobuf" */
  readonly deadLetterFormat?: EventFormat;
  /** Wall clock, ms since the epoch. @default Date.now */
  readonly now?: () => number;
}

/** What happened to one frame. */
export type FrameOutcome =
  | { readonly kind: "accepted"; readonly event: OutboundEvent; readonly record: CloudEventRecord }
  | { readonly kind: "dropped"; readonly routeName: string; readonly record: CloudEventRecord }
  | { readonly kind: "undecodable"; readonly event: OutboundEvent; readonly error: BridgeError };

function partitionKeyOf(record: CloudEventRecord): string {
  const key = record.extensions["partitionkey"];
  return typeof key === "string" ? key : "";
}

const encoders: Record<EventFormat, (record: CloudEventRecord) => Uint8Array> = {
  protobuf: encodeProtobuf,
  json: encodeJson,
};

/**
 * Turns one raw frame into the event the spool keeps: convert to a CloudEvent (docs/contract.md
 * §3), route, encode. Never throws for bad input: a frame that cannot be converted becomes
 * an `io.dapr.bridge.undecodable` dead letter with the frame's bytes.
 */
export class OutboundFactory {
  private readonly options: OutboundFactoryOptions;
  private readonly now: () => number;
  private readonly ids = new EventIds();

  constructor(options: OutboundFactoryOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
  }

  /** Converts, routes and encodes one frame from `identity`. */
  fromFrame(frame: Uint8Array, identity: SourceIdentity): FrameOutcome {
    const acceptedAt = this.now();
    const id = this.ids.next();
    let record: CloudEventRecord;
    try {
      record = convertFrame(frame, identity, id);
    } catch (error) {
      const reason =
        error instanceof BridgeError
          ? error
          : new BridgeError(ErrorCode.Undecodable, "the frame could not be converted", { cause: error });
      return { kind: "undecodable", event: this.undecodable(frame, identity, id, reason, acceptedAt), error: reason };
    }
    const decision = this.options.route(record);
    if (decision.kind === "drop") return { kind: "dropped", routeName: decision.routeName, record };
    const event: OutboundEvent = {
      id,
      key: partitionKeyOf(record),
      type: record.type,
      pubsub: decision.pubsub,
      topic: decision.topic,
      format: decision.format,
      payload: encoders[decision.format](record),
      acceptedAt,
    };
    return { kind: "accepted", event, record };
  }

  private undecodable(
    frame: Uint8Array,
    identity: SourceIdentity,
    id: string,
    error: BridgeError,
    acceptedAt: number,
  ): OutboundEvent {
    const record = undecodableRecord(frame, identity, id, error, acceptedAt);
    const format = this.options.deadLetterFormat ?? "protobuf";
    return {
      id,
      key: partitionKeyOf(record),
      type: record.type,
      pubsub: this.options.deadLetterPubsub,
      topic: this.options.deadLetterTopic,
      format,
      payload: encoders[format](record),
      acceptedAt,
      deadLetter: true,
    };
  }
}
