import { ACTOR_MEMBERS, WORKFLOW_MEMBERS, type ActorMember, type WorkflowMember } from "../cloudevents/types.js";

/** The members of the `WorkflowsEvent.event_type` oneof, in field-number order (from the converter's list). */
export const WORKFLOW_KINDS = Object.keys(WORKFLOW_MEMBERS) as readonly WorkflowMember[];

/** A member name of the `WorkflowsEvent.event_type` oneof. */
export type WorkflowKind = WorkflowMember;

/** The members of the `ActorsEvent.event_type` oneof, in field-number order (from the converter's list). */
export const ACTOR_KINDS = Object.keys(ACTOR_MEMBERS) as readonly ActorMember[];

/** A member name of the `ActorsEvent.event_type` oneof. */
export type ActorKind = ActorMember;

/** Any oneof member name the emitter produces. */
export type EventKind = WorkflowKind | ActorKind;

/** Which `Event.type` member an event is. */
export type EventFamily = "workflow" | "actor";

/** The terminal `OrchestrationStatus` values an `execution_completed` event can carry. */
export const COMPLETION_STATUSES = ["COMPLETED", "FAILED", "TERMINATED", "CANCELED", "CONTINUED_AS_NEW"] as const;

/** A terminal status of `ExecutionCompletedEvent.workflowStatus`, without its prefix. */
export type CompletionStatus = (typeof COMPLETION_STATUSES)[number];

/** A protobufjs plain object (input of `Type.fromObject`). */
export type PlainMessage = Record<string, unknown>;

/** The `Event` member of an `EventRequest`, as a protobufjs plain object. */
export type EventObject = { readonly workflow: PlainMessage } | { readonly actor: PlainMessage };

/** What a test or a benchmark can know about an event without decoding it. */
export interface EventFacts {
  /** The workflow instance id (workflow events). */
  readonly instanceId?: string;
  /** The workflow name from the instance's metadata (workflow events). */
  readonly workflowName?: string;
  /** `metadata.runtimeStatus` without its prefix, lower case (workflow events). */
  readonly runtimeStatus?: string;
  /** The actor (actor events). */
  readonly actor?: { readonly type: string; readonly id: string };
  /** The W3C traceparent the event carries in a `parentTraceContext`, if any. */
  readonly traceParent?: string;
  /** The tracestate the event carries, if any. */
  readonly traceState?: string;
}

/**
 * One scheduled event of an instance's script. `build` runs when the event is emitted,
 * with the emission time, so timestamps inside the event follow `EventRequest.time`.
 */
export interface Step {
  readonly kind: EventKind;
  readonly family: EventFamily;
  /** The partition key the bridge must give the event (docs/contract.md §3 `partitionkey`). */
  readonly key: string;
  readonly facts: EventFacts;
  build(nowUs: number): EventObject;
}

/** A `google.protobuf.Timestamp` plain object for a time in microseconds since the epoch. */
export function timestampFromMicros(us: number): { seconds: number; nanos: number } {
  const seconds = Math.floor(us / 1_000_000);
  return { seconds, nanos: (us - seconds * 1_000_000) * 1000 };
}

/** A `google.protobuf.StringValue` plain object. */
export function stringValue(value: string): { value: string } {
  return { value };
}
