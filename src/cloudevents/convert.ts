import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { bridgeProtos } from "../proto/protos.js";
import { scanActorsEvent, scanWorkflowsEvent } from "./attribute-scan.js";
import { truncateDeadLetterError } from "./dead-letter-extensions.js";
import { parseFrame } from "./frame.js";
import { timestampFromMillis } from "./timestamp.js";
import type { CloudEventRecord, ExtensionValue, SourceIdentity, Timestamp } from "./record.js";
import {
  ACTOR_MEMBER_TYPES,
  ACTORS_DATASCHEMA,
  ACTORS_TYPE_URL,
  BINARY_DATA_CONTENT_TYPE,
  COMPLETED_STATUS_TYPES,
  DeadLetterExtension,
  PROTOBUF_DATA_CONTENT_TYPE,
  SPEC_VERSION,
  UNDECODABLE_EVENT_TYPE,
  WORKFLOW_MEMBER_TYPES,
  WORKFLOWS_DATASCHEMA,
  WORKFLOWS_TYPE_URL,
} from "./types.js";

/** The name used in `source` when an event carries no workflow name or actor type. */
export const UNKNOWN_NAME = "unknown";

/** The partition key of undecodable records. */
export const UNDECODABLE_PARTITION_KEY = "undecodable";

// Lookup tables, built once.
const STATUS_PREFIX = "ORCHESTRATION_STATUS_";
const statusNames: ReadonlyMap<number, string> = new Map(
  Object.entries(bridgeProtos().lookupEnum("durabletask.protos.v1.OrchestrationStatus").values).map(
    ([name, number]) => [number, name.slice(STATUS_PREFIX.length).toLowerCase()],
  ),
);

function undecodable(message: string, cause?: unknown): BridgeError {
  return new BridgeError(ErrorCode.Undecodable, message, cause === undefined ? {} : { cause });
}

/** Runs a scan of the inner event; its errors (malformed bytes) become `undecodable`. */
function scanInner<T>(typeName: string, scan: (bytes: Uint8Array) => T, bytes: Uint8Array): T {
  try {
    return scan(bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw undecodable(`${typeName} (Event member, ${bytes.length} bytes) is malformed: ${detail}`, error);
  }
}

function nonEmpty(value: string | undefined): value is string {
  return value !== undefined && value !== "";
}

// The last identity's source prefix: a stream converts every frame with the same identity.
let prefixFor: { appId: string; namespace: string; prefix: string } = { appId: "", namespace: "", prefix: "/dapr//" };

/** `/dapr/<namespace>/<app-id>`, percent-encoded. */
function sourcePrefix(identity: SourceIdentity): string {
  if (identity.appId !== prefixFor.appId || identity.namespace !== prefixFor.namespace) {
    const prefix = `/dapr/${encodeURIComponent(identity.namespace)}/${encodeURIComponent(identity.appId)}`;
    prefixFor = { appId: identity.appId, namespace: identity.namespace, prefix };
  }
  return prefixFor.prefix;
}

function segment(value: string | undefined): string {
  return encodeURIComponent(nonEmpty(value) ? value : UNKNOWN_NAME);
}

function workflowRecord(
  id: string,
  identity: SourceIdentity,
  time: Timestamp | undefined,
  bytes: Uint8Array,
): CloudEventRecord {
  const event = scanInner("WorkflowsEvent", scanWorkflowsEvent, bytes);
  const member = event.member;
  let type = member === undefined ? undefined : WORKFLOW_MEMBER_TYPES.get(member);
  if (type === undefined)
    throw undecodable("WorkflowsEvent has no event_type member set (fields 2 to 17 are all absent)");
  if (member === "execution_completed") {
    type = COMPLETED_STATUS_TYPES.get(event.completedStatus) ?? "io.dapr.workflows.completed";
  }
  const instanceId = nonEmpty(event.metadataInstanceId)
    ? event.metadataInstanceId
    : (event.startedInstanceId ?? event.failedInstanceId ?? event.canceledInstanceId);
  const name = nonEmpty(event.metadataName) ? event.metadataName : event.startedName;

  const extensions: Record<string, ExtensionValue> = {
    partitionkey: nonEmpty(instanceId) ? instanceId : UNKNOWN_NAME,
    daprappid: identity.appId,
    daprnamespace: identity.namespace,
  };
  if (event.hasMetadata) extensions.workflowstatus = statusNames.get(event.runtimeStatus) ?? UNKNOWN_NAME;
  if (member === "execution_started" || member === "task_scheduled" || member === "sub_orchestration_created") {
    if (nonEmpty(event.traceParent)) extensions.traceparent = event.traceParent;
    if (nonEmpty(event.traceState)) extensions.tracestate = event.traceState;
  }

  return {
    id,
    source: `${sourcePrefix(identity)}/workflows/${segment(name)}`,
    specversion: SPEC_VERSION,
    type,
    ...(nonEmpty(instanceId) ? { subject: instanceId } : {}),
    ...(time === undefined ? {} : { time }),
    datacontenttype: PROTOBUF_DATA_CONTENT_TYPE,
    dataschema: WORKFLOWS_DATASCHEMA,
    extensions,
    data: { kind: "proto", typeUrl: WORKFLOWS_TYPE_URL, value: bytes },
  };
}

function actorRecord(
  id: string,
  identity: SourceIdentity,
  time: Timestamp | undefined,
  bytes: Uint8Array,
): CloudEventRecord {
  const event = scanInner("ActorsEvent", scanActorsEvent, bytes);
  const member = event.member;
  const type = member === undefined ? undefined : ACTOR_MEMBER_TYPES.get(member);
  if (member === undefined || type === undefined)
    throw undecodable("ActorsEvent has no event_type member set (fields 1 to 5 are all absent)");
  if (!event.hasActor) throw undecodable(`ActorsEvent member ${member} has no field 1 (actor)`);
  const actorType = nonEmpty(event.actorType) ? event.actorType : UNKNOWN_NAME;
  const actorId = event.actorId;
  return {
    id,
    source: `${sourcePrefix(identity)}/actors/${encodeURIComponent(actorType)}`,
    specversion: SPEC_VERSION,
    type,
    ...(actorId === "" ? {} : { subject: actorId }),
    ...(time === undefined ? {} : { time }),
    datacontenttype: PROTOBUF_DATA_CONTENT_TYPE,
    dataschema: ACTORS_DATASCHEMA,
    extensions: {
      partitionkey: `${actorType}/${actorId}`,
      daprappid: identity.appId,
      daprnamespace: identity.namespace,
    },
    data: { kind: "proto", typeUrl: ACTORS_TYPE_URL, value: bytes },
  };
}

/**
 * Converts one raw `EventRequest` frame, as read off the wire, to a CloudEvent record with
 * every attribute of docs/contract.md §3. The data is the inner `WorkflowsEvent` or `ActorsEvent`
 * bytes as received (a view into `frame`, not a copy), so fields the bridge does not know
 * survive. The inner event is not decoded: a scan reads the few fields the attributes need
 * and walks the others as protobufjs's decoder would, so exactly the bytes `decode` rejects
 * are undecodable (attribute-scan.ts, over the one reader of src/proto/wire/reader.ts).
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
 * The record kept for a frame the bridge could not convert (docs/contract.md §5): type
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
