/**
 * What the attribute scan knows of the inbound event types, all read from proto/ once at
 * load: the numbers of the fields it reads, the walk plans of the messages it passes
 * through, and the oneof members of `WorkflowsEvent` and `ActorsEvent`.
 */
import protobuf from "protobufjs";
import { bridgeProtos, bridgeType, fieldNumber, TypeName } from "../proto/protos.js";
import type { WalkPlan } from "../proto/wire/reader.js";
import { walkPlan } from "../proto/wire/reader.js";

/** A oneof member: its `.proto` name and the walk plan of its message type. */
export interface Member {
  readonly name: string;
  readonly plan: WalkPlan;
}

// Field numbers, from proto/ (dapr/.../events.proto, durabletask orchestration.proto).
const WF = TypeName.WorkflowsEvent;
const DT = "durabletask.protos.v1";
const EV = "dapr.proto.events.v1alpha1";
/** `WorkflowsEvent.metadata`. */
export const METADATA = fieldNumber(WF, "metadata");
/** `WorkflowsEvent.execution_started`. */
export const STARTED = fieldNumber(WF, "execution_started");
/** `WorkflowsEvent.execution_completed`. */
export const COMPLETED = fieldNumber(WF, "execution_completed");
/** `WorkflowsEvent.execution_failed`. */
export const FAILED = fieldNumber(WF, "execution_failed");
/** `WorkflowsEvent.execution_canceled`. */
export const CANCELED = fieldNumber(WF, "execution_canceled");
const TASK_SCHEDULED = fieldNumber(WF, "task_scheduled");
const SUB_CREATED = fieldNumber(WF, "sub_orchestration_created");
/** Where each traced member keeps its `parentTraceContext`. */
export const TRACE_FIELD: ReadonlyMap<number, number> = new Map([
  [STARTED, fieldNumber(`${DT}.ExecutionStartedEvent`, "parentTraceContext")],
  [TASK_SCHEDULED, fieldNumber(`${DT}.TaskScheduledEvent`, "parentTraceContext")],
  [SUB_CREATED, fieldNumber(`${DT}.ChildWorkflowInstanceCreatedEvent`, "parentTraceContext")],
]);
/** `WorkflowMetadata.instanceId`. */
export const METADATA_INSTANCE_ID = fieldNumber(`${DT}.WorkflowMetadata`, "instanceId");
/** `WorkflowMetadata.name`. */
export const METADATA_NAME = fieldNumber(`${DT}.WorkflowMetadata`, "name");
/** `WorkflowMetadata.runtimeStatus`. */
export const METADATA_STATUS = fieldNumber(`${DT}.WorkflowMetadata`, "runtimeStatus");
/** `ExecutionStartedEvent.name`. */
export const STARTED_NAME = fieldNumber(`${DT}.ExecutionStartedEvent`, "name");
/** `ExecutionStartedEvent.workflowInstance`. */
export const STARTED_INSTANCE = fieldNumber(`${DT}.ExecutionStartedEvent`, "workflowInstance");
/** `ExecutionCompletedEvent.workflowStatus`. */
export const COMPLETED_STATUS = fieldNumber(`${DT}.ExecutionCompletedEvent`, "workflowStatus");
/** `ExecutionFailedEvent.orchestration_instance`. */
export const FAILED_INSTANCE = fieldNumber(`${EV}.ExecutionFailedEvent`, "orchestration_instance");
/** `ExecutionCanceledEvent.orchestration_instance`. */
export const CANCELED_INSTANCE = fieldNumber(`${EV}.ExecutionCanceledEvent`, "orchestration_instance");
/** `WorkflowInstance.instanceId`. */
export const INSTANCE_ID = fieldNumber(`${DT}.WorkflowInstance`, "instanceId");
/** `TraceContext.traceParent`. */
export const TRACE_PARENT = fieldNumber(`${DT}.TraceContext`, "traceParent");
/** `TraceContext.traceState`. */
export const TRACE_STATE = fieldNumber(`${DT}.TraceContext`, "traceState");
/** `google.protobuf.StringValue.value`. */
export const STRING_VALUE = fieldNumber("google.protobuf.StringValue", "value");
/** The field of every `ActorsEvent` member that holds its `actor`: one number, checked for all. */
export const ACTOR = actorField();
/** `Actor.type`. */
export const ACTOR_TYPE = fieldNumber(`${EV}.Actor`, "type");
/** `Actor.id`. */
export const ACTOR_ID = fieldNumber(`${EV}.Actor`, "id");

const root = bridgeProtos();
const plan = (name: string): WalkPlan => walkPlan(root.lookupType(name));
/** Walk plan of `WorkflowsEvent`. */
export const workflowsPlan = plan(TypeName.WorkflowsEvent);
/** Walk plan of `ActorsEvent`. */
export const actorsPlan = plan(TypeName.ActorsEvent);
/** Walk plan of `WorkflowMetadata`. */
export const metadataPlan = plan("durabletask.protos.v1.WorkflowMetadata");
/** Walk plan of `WorkflowInstance`. */
export const instancePlan = plan("durabletask.protos.v1.WorkflowInstance");
/** Walk plan of `TraceContext`. */
export const tracePlan = plan("durabletask.protos.v1.TraceContext");
/** Walk plan of `google.protobuf.StringValue`. */
export const stringValuePlan = plan("google.protobuf.StringValue");
/** Walk plan of `Actor`. */
export const actorPlan = plan("dapr.proto.events.v1alpha1.Actor");

/** The oneof members of a type by field number: name and plan of the member's message type. */
function members(typeName: string): ReadonlyArray<Member | undefined> {
  const type = root.lookupType(typeName);
  const oneof = type.oneofs["event_type"];
  if (oneof === undefined) throw new Error(`${typeName} has no event_type oneof; the attribute scan needs updating`);
  const byField: Array<Member | undefined> = [];
  for (const field of oneof.fieldsArray) {
    field.resolve();
    if (!(field.resolvedType instanceof protobuf.Type)) throw new Error(`${typeName}.${field.name} is not a message`);
    byField[field.id] = { name: field.name, plan: walkPlan(field.resolvedType) };
  }
  return byField;
}

function actorField(): number {
  const numbers = new Set<number | undefined>();
  for (const member of bridgeType(TypeName.ActorsEvent).fieldsArray) {
    member.resolve();
    numbers.add(member.resolvedType instanceof protobuf.Type ? member.resolvedType.fields["actor"]?.id : undefined);
  }
  const [only] = numbers;
  if (numbers.size !== 1 || only === undefined)
    throw new Error("ActorsEvent members do not all keep actor in one field; the attribute scan needs updating");
  return only;
}
/** The `WorkflowsEvent.event_type` members by field number. */
export const workflowMembers = members(TypeName.WorkflowsEvent);
/** The `ActorsEvent.event_type` members by field number. */
export const actorMembers = members(TypeName.ActorsEvent);
