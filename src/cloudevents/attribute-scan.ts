import protobuf from "protobufjs";
import type { WalkPlan } from "../proto/wire/reader.js";
import { enterMessage, leaveMessage, walkField } from "../proto/wire/reader.js";
import {
  ACTOR,
  ACTOR_ID,
  ACTOR_TYPE,
  actorMembers,
  actorPlan,
  actorsPlan,
  CANCELED,
  CANCELED_INSTANCE,
  COMPLETED,
  COMPLETED_STATUS,
  FAILED,
  FAILED_INSTANCE,
  INSTANCE_ID,
  instancePlan,
  METADATA,
  METADATA_INSTANCE_ID,
  METADATA_NAME,
  METADATA_STATUS,
  metadataPlan,
  STARTED,
  STARTED_INSTANCE,
  STARTED_NAME,
  STRING_VALUE,
  stringValuePlan,
  TRACE_FIELD,
  TRACE_PARENT,
  TRACE_STATE,
  tracePlan,
  workflowMembers,
  workflowsPlan,
} from "./event-fields.js";

const { Reader } = protobuf;

/**
 * What the conversion needs from a `WorkflowsEvent`, read as protobufjs would decode it:
 * a field that repeats replaces the earlier one (no merge), and the oneof member is the one
 * protobufjs's `event_type` getter names (of the members present, the one first seen last).
 * `undefined` marks an absent message, `""` and `0` absent scalars, as in a decoded object.
 */
export interface WorkflowsEventScan {
  /** The `event_type` member's .proto field name; undefined when no member is set. */
  readonly member: string | undefined;
  /** Whether `metadata` (field 1) is present. */
  readonly hasMetadata: boolean;
  readonly metadataInstanceId: string;
  readonly metadataName: string;
  readonly runtimeStatus: number;
  /** `execution_started.name`; undefined without `execution_started`. */
  readonly startedName: string | undefined;
  /** `execution_started.workflowInstance.instanceId`; undefined when either is absent. */
  readonly startedInstanceId: string | undefined;
  /** `execution_failed.orchestration_instance.instanceId`; undefined when either is absent. */
  readonly failedInstanceId: string | undefined;
  /** `execution_canceled.orchestration_instance.instanceId`; undefined when either is absent. */
  readonly canceledInstanceId: string | undefined;
  /** `execution_completed.workflowStatus`. */
  readonly completedStatus: number;
  /** `parentTraceContext.traceParent` of the member, when the member is traced. */
  readonly traceParent: string;
  /** `parentTraceContext.traceState.value` of the member, when the member is traced. */
  readonly traceState: string;
}

/** What the conversion needs from an `ActorsEvent`, read as protobufjs would decode it. */
export interface ActorsEventScan {
  /** The `event_type` member's .proto field name; undefined when no member is set. */
  readonly member: string | undefined;
  /** Whether the member has its `actor` (field 1). */
  readonly hasActor: boolean;
  readonly actorType: string;
  readonly actorId: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

function readStringValue(reader: protobuf.Reader, depth: number): string {
  const outer = enterMessage(reader, depth);
  let value = "";
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === STRING_VALUE) value = reader.string();
    else walkField(reader, stringValuePlan, tag, depth);
  }
  leaveMessage(reader, outer);
  return value;
}

function readInstanceId(reader: protobuf.Reader, depth: number): string {
  const outer = enterMessage(reader, depth);
  let instanceId = "";
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === INSTANCE_ID) instanceId = reader.string();
    else walkField(reader, instancePlan, tag, depth);
  }
  leaveMessage(reader, outer);
  return instanceId;
}

function readTrace(reader: protobuf.Reader, scan: Mutable<WorkflowsEventScan>, depth: number): void {
  const outer = enterMessage(reader, depth);
  scan.traceParent = "";
  scan.traceState = "";
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === TRACE_PARENT) scan.traceParent = reader.string();
    else if (field === TRACE_STATE) scan.traceState = readStringValue(reader, depth + 1);
    else walkField(reader, tracePlan, tag, depth);
  }
  leaveMessage(reader, outer);
}

function readMetadata(reader: protobuf.Reader, scan: Mutable<WorkflowsEventScan>): void {
  const outer = enterMessage(reader, 1);
  scan.hasMetadata = true;
  scan.metadataInstanceId = "";
  scan.metadataName = "";
  scan.runtimeStatus = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === METADATA_INSTANCE_ID) scan.metadataInstanceId = reader.string();
    else if (field === METADATA_NAME) scan.metadataName = reader.string();
    else if (field === METADATA_STATUS) scan.runtimeStatus = reader.int32();
    else walkField(reader, metadataPlan, tag, 1);
  }
  leaveMessage(reader, outer);
}

/** Reads one occurrence of member `field`; `selected` when it is the member the scan reports. */
function readWorkflowMember(
  reader: protobuf.Reader,
  scan: Mutable<WorkflowsEventScan>,
  field: number,
  memberPlan: WalkPlan,
  selected: boolean,
): void {
  const outer = enterMessage(reader, 1);
  const traceField = selected ? TRACE_FIELD.get(field) : undefined;
  if (traceField !== undefined) {
    scan.traceParent = "";
    scan.traceState = "";
  }
  if (field === STARTED) {
    scan.startedName = "";
    scan.startedInstanceId = undefined;
  } else if (field === COMPLETED) scan.completedStatus = 0;
  else if (field === FAILED) scan.failedInstanceId = undefined;
  else if (field === CANCELED) scan.canceledInstanceId = undefined;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const inner = tag >>> 3;
    if (inner === traceField) readTrace(reader, scan, 2);
    else if (field === STARTED && inner === STARTED_NAME) scan.startedName = reader.string();
    else if (field === STARTED && inner === STARTED_INSTANCE) scan.startedInstanceId = readInstanceId(reader, 2);
    else if (field === COMPLETED && inner === COMPLETED_STATUS) scan.completedStatus = reader.int32();
    else if (field === FAILED && inner === FAILED_INSTANCE) scan.failedInstanceId = readInstanceId(reader, 2);
    else if (field === CANCELED && inner === CANCELED_INSTANCE) scan.canceledInstanceId = readInstanceId(reader, 2);
    else walkField(reader, memberPlan, tag, 1);
  }
  leaveMessage(reader, outer);
}

/**
 * Reads the attributes of a `WorkflowsEvent` without decoding it: only the fields named in
 * {@link WorkflowsEventScan} are read; every other field is walked as protobufjs's decoder
 * would read it, so the bytes accepted and rejected are exactly those `decode` accepts.
 *
 * @throws Error (protobufjs's, or a RangeError) when the bytes are malformed.
 */
export function scanWorkflowsEvent(bytes: Uint8Array): WorkflowsEventScan {
  const reader = Reader.create(bytes);
  const scan: Mutable<WorkflowsEventScan> = {
    member: undefined,
    hasMetadata: false,
    metadataInstanceId: "",
    metadataName: "",
    runtimeStatus: 0,
    startedName: undefined,
    startedInstanceId: undefined,
    failedInstanceId: undefined,
    canceledInstanceId: undefined,
    completedStatus: 0,
    traceParent: "",
    traceState: "",
  };
  let seen = 0;
  let selectedField = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const member = workflowMembers[field];
    if (field === METADATA) readMetadata(reader, scan);
    else if (member === undefined) walkField(reader, workflowsPlan, tag, 0);
    else {
      // protobufjs's oneof getter names the member whose property was added last: first seen last.
      if ((seen & (1 << field)) === 0) {
        seen |= 1 << field;
        selectedField = field;
        scan.member = member.name;
        scan.traceParent = "";
        scan.traceState = "";
      }
      readWorkflowMember(reader, scan, field, member.plan, field === selectedField);
    }
  }
  return scan;
}

function readActor(reader: protobuf.Reader, scan: Mutable<ActorsEventScan>): void {
  const outer = enterMessage(reader, 2);
  scan.hasActor = true;
  scan.actorType = "";
  scan.actorId = "";
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    if (field === ACTOR_TYPE) scan.actorType = reader.string();
    else if (field === ACTOR_ID) scan.actorId = reader.string();
    else walkField(reader, actorPlan, tag, 2);
  }
  leaveMessage(reader, outer);
}

/**
 * Reads the attributes of an `ActorsEvent` without decoding it, with the same acceptance as
 * protobufjs's `decode` (see {@link scanWorkflowsEvent}).
 *
 * @throws Error (protobufjs's, or a RangeError) when the bytes are malformed.
 */
export function scanActorsEvent(bytes: Uint8Array): ActorsEventScan {
  const reader = Reader.create(bytes);
  const scan: Mutable<ActorsEventScan> = { member: undefined, hasActor: false, actorType: "", actorId: "" };
  let seen = 0;
  let selectedField = 0;
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    const field = tag >>> 3;
    const member = actorMembers[field];
    if (member === undefined) {
      walkField(reader, actorsPlan, tag, 0);
      continue;
    }
    if ((seen & (1 << field)) === 0) {
      seen |= 1 << field;
      selectedField = field;
      scan.member = member.name;
    }
    if (field !== selectedField) {
      walkField(reader, actorsPlan, tag, 0);
      continue;
    }
    const outer = enterMessage(reader, 1);
    scan.hasActor = false;
    scan.actorType = "";
    scan.actorId = "";
    while (reader.pos < reader.len) {
      const inner = reader.uint32();
      if (inner >>> 3 === ACTOR) readActor(reader, scan);
      else walkField(reader, member.plan, inner, 1);
    }
    leaveMessage(reader, outer);
  }
  return scan;
}
