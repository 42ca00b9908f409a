import type { ActorEventType, WorkflowEventType } from "../cloudevents/types.js";
import { ACTOR_EVENT_TYPES, UNDECODABLE_EVENT_TYPE, WORKFLOW_EVENT_TYPES } from "../cloudevents/types.js";
import type { ActorsEvent, WorkflowsEvent } from "./event-shapes.js";

/** Which delivery shape {@link decodeDelivery} found. */
export type DeliveryShape =
  /** Raw protobuf CloudEvent bytes (a raw subscription, or Kafka directly). */
  | "protobuf"
  /** Dapr's JSON envelope around the protobuf CloudEvent (`data_base64`, or base64 `data`). */
  | "dapr-envelope"
  /** A structured JSON CloudEvent, as the bridge publishes in the `json` format. */
  | "json";

/** The CloudEvent attributes every delivery has. */
interface DeliveryAttributes {
  readonly id: string;
  /** Deduplicate on `source` + `id` (docs/contract.md §5). */
  readonly source: string;
  readonly specversion: string;
  readonly subject?: string;
  /** RFC 3339, UTC. */
  readonly time?: string;
  readonly datacontenttype?: string;
  readonly dataschema?: string;
  /**
   * Extension attributes by name: `partitionkey`, `daprappid`, `daprnamespace`,
   * `workflowstatus`, `traceparent`, `tracestate`, the dead-letter ones, and any the
   * transport added (Dapr adds `topic`, `pubsubname`, ... to JSON deliveries). Timestamps
   * are RFC 3339 strings and bytes base64 strings.
   */
  readonly extensions: Readonly<Record<string, string | number | boolean>>;
  /** The shape the delivery came in. */
  readonly shape: DeliveryShape;
}

/** A workflow event. */
export interface WorkflowDelivery extends DeliveryAttributes {
  readonly type: WorkflowEventType;
  readonly event: WorkflowsEvent;
}

/** An actor event. */
export interface ActorDelivery extends DeliveryAttributes {
  readonly type: ActorEventType;
  readonly event: ActorsEvent;
}

/** Input the bridge could not decode, with the raw frame (normally seen on a dead-letter topic). */
export interface UndecodableDelivery extends DeliveryAttributes {
  readonly type: typeof UNDECODABLE_EVENT_TYPE;
  /** The `EventRequest` frame as the bridge received it. */
  readonly data: Uint8Array;
}

/** One decoded delivery, discriminated by its CloudEvent `type`. */
export type Delivery = WorkflowDelivery | ActorDelivery | UndecodableDelivery;

const workflowTypes: ReadonlySet<string> = new Set(WORKFLOW_EVENT_TYPES);
const actorTypes: ReadonlySet<string> = new Set(ACTOR_EVENT_TYPES);

/** Whether a CloudEvent type is one of the workflow event types. */
export function isWorkflowEventType(type: string): type is WorkflowEventType {
  return workflowTypes.has(type);
}

/** Whether a CloudEvent type is one of the actor event types. */
export function isActorEventType(type: string): type is ActorEventType {
  return actorTypes.has(type);
}

/** Whether a delivery is a workflow event. */
export function isWorkflowEvent(delivery: Delivery): delivery is WorkflowDelivery {
  return workflowTypes.has(delivery.type);
}

/** Whether a delivery is an actor event. */
export function isActorEvent(delivery: Delivery): delivery is ActorDelivery {
  return actorTypes.has(delivery.type);
}

/** Whether a delivery is undecodable input kept by the bridge. */
export function isUndecodable(delivery: Delivery): delivery is UndecodableDelivery {
  return delivery.type === UNDECODABLE_EVENT_TYPE;
}
