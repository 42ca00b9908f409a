import type protobuf from "protobufjs";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { bridgeProtos, TypeName } from "../proto/protos.js";
import { truncateDeadLetterError } from "./dead-letter.js";
import { parseFrame } from "./frame.js";
import { timestampFromMillis } from "./timestamp.js";
import type { CloudEventRecord, ExtensionValue, SourceIdentity, Timestamp } from "./record.js";
import {
  ACTOR_MEMBER_TYPES,
  ACTORS_DATASCHEMA,
  BINARY_DATA_CONTENT_TYPE,
  COMPLETED_STATUS_TYPES,
  DeadLetterExtension,
  PROTOBUF_DATA_CONTENT_TYPE,
  SPEC_VERSION,
  UNDECODABLE_EVENT_TYPE,
  WORKFLOW_MEMBER_TYPES,
  WORKFLOWS_DATASCHEMA,
} from "./types.js";

/** The name used in `source` when an event carries no workflow name or actor type. */
export const UNKNOWN_NAME = "unknown";

/** The partition key of undecodable records. */
export const UNDECODABLE_PARTITION_KEY = "undecodable";

// The decoded shapes this file reads; field names as in the .proto files (keepCase).
interface DecodedInstance {
  readonly instanceId?: string;
}
interface DecodedTraceContext {
  readonly traceParent?: string;
  readonly traceState?: { readonly value?: string } | null;
}
interface DecodedTraced {
  readonly parentTraceContext?: DecodedTraceContext | null;
}
interface DecodedWorkflowsEvent {
  readonly metadata?: { readonly instanceId?: string; readonly name?: string; readonly runtimeStatus?: number } | null;
  /** The virtual oneof property protobufjs defines: the name of the member set. */
  readonly event_type?: string;
  readonly execution_started?: (DecodedTraced & { readonly name?: string; readonly orchestrationInstance?: DecodedInstance | null }) | null;
  readonly execution_completed?: { readonly orchestrationStatus?: number } | null;
  readonly execution_failed?: { readonly orchestration_instance?: DecodedInstance | null } | null;
  readonly execution_canceled?: { readonly orchestration_instance?: DecodedInstance | null } | null;
  readonly task_scheduled?: DecodedTraced | null;
  readonly sub_orchestration_created?: DecodedTraced | null;
}
interface DecodedActorsEvent {
  readonly event_type?: string;
  readonly [member: string]: { readonly actor?: { readonly type?: string; readonly id?: string } | null } | string | null | undefined;
}

// Lookup tables, built once.
const workflowsEventType: protobuf.Type = bridgeProtos().lookupType(TypeName.WorkflowsEvent);
const actorsEventType: protobuf.Type = bridgeProtos().lookupType(TypeName.ActorsEvent);
const STATUS_PREFIX = "ORCHESTRATION_STATUS_";
const statusNames: ReadonlyMap<number, string> = new Map(
  Object.entries(bridgeProtos().lookupEnum("durabletask.protos.v1.OrchestrationStatus").values).map(([name, number]) => [
    number,
    name.slice(STATUS_PREFIX.length).toLowerCase(),
  ]),
);

function undecodable(message: string, cause?: unknown): BridgeError {
  return new BridgeError(ErrorCode.Undecodable, message, cause === undefined ? {} : { cause });
}

function decodeInner(type: protobuf.Type, bytes: Uint8Array): unknown {
  try {
    return type.decode(bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw undecodable(`${type.name} (Event member, ${bytes.length} bytes) is malformed: ${detail}`, error);
  }
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

function segment(value: string | undefined): string {
  return encodeURIComponent(nonEmpty(value) ? value : UNKNOWN_NAME);
}

function addTrace(extensions: Record<string, ExtensionValue>, traced: DecodedTraced | null | undefined): void {
  const context = traced?.parentTraceContext;
  if (context === null || context === undefined) return;
  if (nonEmpty(context.traceParent)) extensions.traceparent = context.traceParent;
  const state = context.traceState?.value;
  if (nonEmpty(state)) extensions.tracestate = state;
}

function workflowRecord(id: string, identity: SourceIdentity, time: Timestamp | undefined, bytes: Uint8Array): CloudEventRecord {
  const event = decodeInner(workflowsEventType, bytes) as DecodedWorkflowsEvent;
  const member = event.event_type;
  let type = member === undefined ? undefined : WORKFLOW_MEMBER_TYPES.get(member);
  if (type === undefined) throw undecodable("WorkflowsEvent has no event_type member set (fields 2 to 17 are all absent)");
  if (member === "execution_completed") {
    type = COMPLETED_STATUS_TYPES.get(event.execution_completed?.orchestrationStatus ?? 0) ?? "io.dapr.workflows.completed";
  }
  const metadata = event.metadata ?? undefined;
  const started = event.execution_started ?? undefined;
  const instanceId = nonEmpty(metadata?.instanceId)
    ? metadata.instanceId
    : (started?.orchestrationInstance?.instanceId ??
      event.execution_failed?.orchestration_instance?.instanceId ??
      event.execution_canceled?.orchestration_instance?.instanceId);
  const name = nonEmpty(metadata?.name) ? metadata.name : started?.name;

  const extensions: Record<string, ExtensionValue> = {
    partitionkey: nonEmpty(instanceId) ? instanceId : UNKNOWN_NAME,
    daprappid: identity.appId,
    daprnamespace: identity.namespace,
  };
  if (metadata !== undefined) extensions.workflowstatus = statusNames.get(metadata.runtimeStatus ?? 0) ?? UNKNOWN_NAME;
  if (member === "execution_started") addTrace(extensions, started);
  else if (member === "task_scheduled") addTrace(extensions, event.task_scheduled);
  else if (member === "sub_orchestration_created") addTrace(extensions, event.sub_orchestration_created);

  return {
    id,
    source: `/dapr/${encodeURIComponent(identity.namespace)}/${encodeURIComponent(identity.appId)}/workflows/${segment(name)}`,
    specversion: SPEC_VERSION,
    type,
    ...(nonEmpty(instanceId) ? { subject: instanceId } : {}),
    ...(time === undefined ? {} : { time }),
    datacontenttype: PROTOBUF_DATA_CONTENT_TYPE,
    dataschema: WORKFLOWS_DATASCHEMA,
    extensions,
    data: { kind: "proto", typeUrl: WORKFLOWS_DATASCHEMA, value: bytes },
  };
}

function actorRecord(id: string, identity: SourceIdentity, time: Timestamp | undefined, bytes: Uint8Array): CloudEventRecord {
  const event = decodeInner(actorsEventType, bytes) as DecodedActorsEvent;
  const member = event.event_type;
  const type = member === undefined ? undefined : ACTOR_MEMBER_TYPES.get(member);
  if (member === undefined || type === undefined) throw undecodable("ActorsEvent has no event_type member set (fields 1 to 5 are all absent)");
  const value = event[member];
  const actor = typeof value === "object" && value !== null ? value.actor : undefined;
  if (actor === null || actor === undefined) throw undecodable(`ActorsEvent member ${member} has no field 1 (actor)`);
  const actorType = nonEmpty(actor.type) ? actor.type : UNKNOWN_NAME;
  const actorId = actor.id ?? "";
  return {
    id,
    source: `/dapr/${encodeURIComponent(identity.namespace)}/${encodeURIComponent(identity.appId)}/actors/${encodeURIComponent(actorType)}`,
    specversion: SPEC_VERSION,
    type,
    ...(actorId === "" ? {} : { subject: actorId }),
    ...(time === undefined ? {} : { time }),
    datacontenttype: PROTOBUF_DATA_CONTENT_TYPE,
    dataschema: ACTORS_DATASCHEMA,
    extensions: { partitionkey: `${actorType}/${actorId}`, daprappid: identity.appId, daprnamespace: identity.namespace },
    data: { kind: "proto", typeUrl: ACTORS_DATASCHEMA, value: bytes },
  };
}

/**
 * Converts one raw `EventRequest` frame, as read off the wire, to a CloudEvent record with
 * every attribute of DESIGN.md §3. The data is the inner `WorkflowsEvent` or `ActorsEvent`
 * bytes as received (a view into `frame`, not a copy), so fields the bridge does not know
 * survive; only the inner event is decoded, once, to read attributes.
 *
 * Workflow events: `source` ends with `metadata.name`, else `execution_started.name`, else
 * `unknown`; `subject` and `partitionkey` are `metadata.instanceId` (else the member's
 * orchestration instance id); without any instance id, `subject` is absent and `partitionkey`
 * is `unknown`. `workflowstatus` is present when the event has `metadata`. Actor events:
 * an empty actor type gives `unknown` in `source` and `partitionkey`. Path segments of
 * `source` (namespace, app id, name, actor type) are percent-encoded (`encodeURIComponent`),
 * which leaves ordinary names unchanged. `time` is absent when the frame has none.
 *
 * @param frame One serialized `dapr.proto.events.v1alpha1.EventRequest`.
 * @param identity The emitting sidecar.
 * @param id The CloudEvent id (a UUIDv7 chosen by the caller).
 * @throws BridgeError `undecodable` when the frame or the inner event is malformed, has no
 *   event, an Event member other than workflow or actor, a workflow event with no member,
 *   or an actor event without its actor.
 */
export function convertFrame(frame: Uint8Array, identity: SourceIdentity, id: string): CloudEventRecord {
  const { time, member, bytes } = parseFrame(frame);
  return member === "workflow" ? workflowRecord(id, identity, time, bytes) : actorRecord(id, identity, time, bytes);
}

/**
 * The record kept for a frame the bridge could not convert (DESIGN.md §5): type
 * `io.dapr.bridge.undecodable`, source `/dapr/<ns>/<app-id>/bridge`, the raw frame as
 * binary data (`application/octet-stream`), `time` = when it was received, partition key
 * `undecodable`, and the dead-letter extensions (reason `undecodable`, the error message cut
 * to 1024 characters, 0 attempts), so it is published to the dead-letter route as it is.
 *
 * @param receivedAt When the bridge read the frame, in milliseconds since the epoch.
 */
export function undecodableRecord(
  frame: Uint8Array,
  identity: SourceIdentity,
  id: string,
  error: BridgeError,
  receivedAt: number,
): CloudEventRecord {
  return {
    id,
    source: `/dapr/${encodeURIComponent(identity.namespace)}/${encodeURIComponent(identity.appId)}/bridge`,
    specversion: SPEC_VERSION,
    type: UNDECODABLE_EVENT_TYPE,
    time: timestampFromMillis(receivedAt),
    datacontenttype: BINARY_DATA_CONTENT_TYPE,
    extensions: {
      partitionkey: UNDECODABLE_PARTITION_KEY,
      daprappid: identity.appId,
      daprnamespace: identity.namespace,
      [DeadLetterExtension.Reason]: "undecodable",
      [DeadLetterExtension.Error]: truncateDeadLetterError(error.message),
      [DeadLetterExtension.Attempts]: 0,
    },
    data: { kind: "binary", value: frame },
  };
}
