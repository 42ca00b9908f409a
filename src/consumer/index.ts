// dapr-event-bridge/consumer: helpers for subscribers of the bridge's events.
export { decodeDelivery } from "./decode-delivery.js";
export { decodeSdkEvent } from "./decode-sdk-event.js";
export { isActorEvent, isActorEventType, isUndecodable, isWorkflowEvent, isWorkflowEventType } from "./delivery.js";
export type { ActorDelivery, Delivery, DeliveryShape, UndecodableDelivery, WorkflowDelivery } from "./delivery.js";
export type {
  Actor,
  ActorsEvent,
  CompletionAttestation,
  FailureDetails,
  HistoryPropagationScopeName,
  OrchestrationInstance,
  OrchestrationMetadata,
  OrchestrationStatusName,
  ParentInstanceInfo,
  RelatedInstanceInfo,
  TaskFailureDetails,
  TimestampString,
  TraceContext,
  WorkflowInstance,
  WorkflowMetadata,
  WorkflowsEvent,
} from "./event-shapes.js";
export { ACTOR_EVENT_TYPES, UNDECODABLE_EVENT_TYPE, WORKFLOW_EVENT_TYPES } from "../cloudevents/types.js";
export type { ActorEventType, BridgeEventType, WorkflowEventType } from "../cloudevents/types.js";
export { BridgeError, ErrorCode } from "../errors/bridge-error.js";
