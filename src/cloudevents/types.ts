/**
 * The CloudEvent vocabulary of the bridge (docs/contract.md §3): types, schemas and content
 * types. Plain constants with no protobuf dependency, so the consumer helpers can share them.
 */

/** The CloudEvents spec version the bridge emits. */
export const SPEC_VERSION = "1.0";

/** `datacontenttype` of a record whose data is the event's protobuf bytes. */
export const PROTOBUF_DATA_CONTENT_TYPE = "application/protobuf";

/** `datacontenttype` of the JSON format, whose data is proto3 canonical JSON. */
export const JSON_DATA_CONTENT_TYPE = "application/json";

/** `datacontenttype` of an undecodable record, whose data is the raw frame. */
export const BINARY_DATA_CONTENT_TYPE = "application/octet-stream";

/** The Any type URL prefix of `proto_data` (scheme-less, the protobuf `Any` convention). */
export const TYPE_URL_PREFIX = "type.googleapis.com/";

/** `proto_data.type_url` of workflow events. */
export const WORKFLOWS_TYPE_URL = `${TYPE_URL_PREFIX}dapr.proto.events.v1alpha1.WorkflowsEvent`;

/** `proto_data.type_url` of actor events. */
export const ACTORS_TYPE_URL = `${TYPE_URL_PREFIX}dapr.proto.events.v1alpha1.ActorsEvent`;

/**
 * `dataschema` of workflow events: the type URL with its scheme written out (`Any` assumes
 * https). The core spec types `dataschema` as an absolute URI, and strict SDKs (sdk-go on
 * every event it receives, sdk-javascript's `new CloudEvent`) reject one without a scheme.
 */
export const WORKFLOWS_DATASCHEMA = `https://${WORKFLOWS_TYPE_URL}`;

/** `dataschema` of actor events (see {@link WORKFLOWS_DATASCHEMA}). */
export const ACTORS_DATASCHEMA = `https://${ACTORS_TYPE_URL}`;

/** Every CloudEvent type of a workflow event (docs/contract.md §3, type table). */
export const WORKFLOW_EVENT_TYPES = [
  "io.dapr.workflows.started",
  "io.dapr.workflows.completed",
  "io.dapr.workflows.failed",
  "io.dapr.workflows.terminated",
  "io.dapr.workflows.canceled",
  "io.dapr.workflows.continued_as_new",
  "io.dapr.workflows.suspended",
  "io.dapr.workflows.resumed",
  "io.dapr.workflows.activity.scheduled",
  "io.dapr.workflows.activity.completed",
  "io.dapr.workflows.activity.failed",
  "io.dapr.workflows.timer.created",
  "io.dapr.workflows.timer.fired",
  "io.dapr.workflows.child.created",
  "io.dapr.workflows.child.completed",
  "io.dapr.workflows.child.failed",
  "io.dapr.workflows.event.raised",
] as const;

/** A CloudEvent type of a workflow event. */
export type WorkflowEventType = (typeof WORKFLOW_EVENT_TYPES)[number];

/** Every CloudEvent type of an actor event (docs/contract.md §3, type table). */
export const ACTOR_EVENT_TYPES = [
  "io.dapr.actors.activated",
  "io.dapr.actors.deactivated",
  "io.dapr.actors.invoked",
  "io.dapr.actors.reminder.triggered",
  "io.dapr.actors.timer.triggered",
] as const;

/** A CloudEvent type of an actor event. */
export type ActorEventType = (typeof ACTOR_EVENT_TYPES)[number];

/** The type of the record kept for input the bridge could not decode (docs/contract.md §5). */
export const UNDECODABLE_EVENT_TYPE = "io.dapr.bridge.undecodable";

/** Every CloudEvent type the bridge emits. */
export type BridgeEventType = WorkflowEventType | ActorEventType | typeof UNDECODABLE_EVENT_TYPE;

/**
 * The members of the `WorkflowsEvent.event_type` oneof, in field-number order (docs/contract.md
 * §2), each with its CloudEvent type: the one list the converter, the emitter and the consumer
 * types derive from. `execution_completed` maps to `.completed` here; {@link COMPLETED_STATUS_TYPES}
 * refines it by the event's `workflowStatus`.
 */
export const WORKFLOW_MEMBERS = {
  execution_started: "io.dapr.workflows.started",
  execution_completed: "io.dapr.workflows.completed",
  execution_terminated: "io.dapr.workflows.terminated",
  execution_suspended: "io.dapr.workflows.suspended",
  execution_resumed: "io.dapr.workflows.resumed",
  execution_failed: "io.dapr.workflows.failed",
  execution_canceled: "io.dapr.workflows.canceled",
  task_scheduled: "io.dapr.workflows.activity.scheduled",
  task_completed: "io.dapr.workflows.activity.completed",
  task_failed: "io.dapr.workflows.activity.failed",
  timer_created: "io.dapr.workflows.timer.created",
  timer_fired: "io.dapr.workflows.timer.fired",
  sub_orchestration_created: "io.dapr.workflows.child.created",
  sub_orchestration_completed: "io.dapr.workflows.child.completed",
  sub_orchestration_failed: "io.dapr.workflows.child.failed",
  event_raised: "io.dapr.workflows.event.raised",
} as const satisfies Record<string, WorkflowEventType>;

/** A member name of the `WorkflowsEvent.event_type` oneof. */
export type WorkflowMember = keyof typeof WORKFLOW_MEMBERS;

/** The CloudEvent type of each `WorkflowsEvent.event_type` member, by its `.proto` field name. */
export const WORKFLOW_MEMBER_TYPES: ReadonlyMap<string, WorkflowEventType> = new Map<string, WorkflowEventType>(
  Object.entries(WORKFLOW_MEMBERS),
);

/**
 * The type of an `execution_completed` event by its `workflowStatus` number
 * (durabletask `OrchestrationStatus`). Statuses not listed give `.completed`.
 */
export const COMPLETED_STATUS_TYPES: ReadonlyMap<number, WorkflowEventType> = new Map<number, WorkflowEventType>([
  [1, "io.dapr.workflows.completed"],
  [2, "io.dapr.workflows.continued_as_new"],
  [3, "io.dapr.workflows.failed"],
  [4, "io.dapr.workflows.canceled"],
  [5, "io.dapr.workflows.terminated"],
]);

/** The members of the `ActorsEvent.event_type` oneof, in field-number order, each with its CloudEvent type. */
export const ACTOR_MEMBERS = {
  activated: "io.dapr.actors.activated",
  deactivated: "io.dapr.actors.deactivated",
  reminder_triggered: "io.dapr.actors.reminder.triggered",
  timer_triggered: "io.dapr.actors.timer.triggered",
  invoked: "io.dapr.actors.invoked",
} as const satisfies Record<string, ActorEventType>;

/** A member name of the `ActorsEvent.event_type` oneof. */
export type ActorMember = keyof typeof ACTOR_MEMBERS;

/** The CloudEvent type of each `ActorsEvent.event_type` member, by its `.proto` field name. */
export const ACTOR_MEMBER_TYPES: ReadonlyMap<string, ActorEventType> = new Map<string, ActorEventType>(
  Object.entries(ACTOR_MEMBERS),
);

/** The names of the dead-letter extensions (docs/contract.md §5). */
export const DeadLetterExtension = {
  Reason: "deadletterreason",
  Error: "deadlettererror",
  Attempts: "deadletterattempts",
} as const;

/** The most characters `deadlettererror` keeps (docs/contract.md §5). */
export const DEAD_LETTER_ERROR_MAX_CHARS = 1024;
