import type { ActorDelivery, Delivery, WorkflowDelivery } from "../consumer/delivery.js";
import { isActorEvent, isWorkflowEvent } from "../consumer/delivery.js";
import type { TaskFailureDetails, WorkflowsEvent } from "../consumer/event-shapes.js";
import { statusFromOrchestration, type InstanceStatus } from "./status.js";

/** A workflow instance's failure, as the API reports it. */
export interface FailureInfo {
  readonly errorType: string;
  readonly errorMessage: string;
  readonly stackTrace: string | null;
}

/** An instance named by its app: instance ids are unique per app. */
export interface InstanceRef {
  readonly app: string;
  readonly instanceId: string;
}

/** What the projection learns from one workflow event. */
export interface WorkflowFact {
  readonly kind: "workflow";
  /** Dedupe key, with {@link id} (docs/contract.md §5). */
  readonly source: string;
  readonly id: string;
  readonly type: string;
  readonly app: string;
  readonly namespace: string;
  readonly name: string;
  readonly instanceId: string;
  /** The event's time (the CloudEvent `time`), ms since the epoch; when it has none, when it arrived. */
  readonly timeMs: number;
  /** The status this event says the instance is in, if it says one. */
  readonly status: InstanceStatus | undefined;
  /** `metadata.createdAt`, ms, when the event carries it. */
  readonly createdAtMs: number | undefined;
  /** `metadata.completedAt`, ms, when the event carries it. */
  readonly completedAtMs: number | undefined;
  readonly started: boolean;
  readonly activityFailed: boolean;
  readonly failure: FailureInfo | undefined;
  readonly parent: InstanceRef | undefined;
  /** The child a `child.created` event starts. */
  readonly child: (InstanceRef & { readonly name: string }) | undefined;
  readonly input: string | undefined;
  readonly output: string | undefined;
  /** One line for the history timeline. */
  readonly summary: string;
  /** The event (proto3 JSON shape), stored as the history's `data`. */
  readonly data: WorkflowsEvent;
}

/** Which actor counter an actor event adds to. */
export type ActorCounter = "activations" | "invocations" | "reminders" | "timers" | "deactivations";

/** What the projection learns from one actor event. */
export interface ActorFact {
  readonly kind: "actor";
  readonly source: string;
  readonly id: string;
  readonly type: string;
  readonly app: string;
  readonly actorType: string;
  readonly timeMs: number;
  readonly counter: ActorCounter;
}

/** One event, as the projection takes it. */
export type Fact = WorkflowFact | ActorFact;

const ACTOR_COUNTERS: Readonly<Record<string, ActorCounter>> = {
  "io.dapr.actors.activated": "activations",
  "io.dapr.actors.deactivated": "deactivations",
  "io.dapr.actors.invoked": "invocations",
  "io.dapr.actors.reminder.triggered": "reminders",
  "io.dapr.actors.timer.triggered": "timers",
};

/** The status a lifecycle event type sets; other types defer to `metadata.runtimeStatus`. */
const TYPE_STATUS: Readonly<Record<string, InstanceStatus>> = {
  "io.dapr.workflows.started": "RUNNING",
  "io.dapr.workflows.completed": "COMPLETED",
  "io.dapr.workflows.failed": "FAILED",
  "io.dapr.workflows.terminated": "TERMINATED",
  "io.dapr.workflows.canceled": "TERMINATED",
  "io.dapr.workflows.continued_as_new": "CONTINUED_AS_NEW",
  "io.dapr.workflows.suspended": "SUSPENDED",
  "io.dapr.workflows.resumed": "RUNNING",
};

/** The segments of a bridge `source`: `/dapr/<namespace>/<app>/<workflows|actors>/<name>`. */
function sourceParts(source: string): { namespace: string; app: string; name: string } | undefined {
  const parts = source.split("/");
  if (parts.length !== 6 || parts[0] !== "" || parts[1] !== "dapr") return undefined;
  try {
    return {
      namespace: decodeURIComponent(parts[2] ?? ""),
      app: decodeURIComponent(parts[3] ?? ""),
      name: decodeURIComponent(parts[5] ?? ""),
    };
  } catch {
    return undefined;
  }
}

function parseTime(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : "";
}

function taskFailure(details: TaskFailureDetails | undefined): FailureInfo | undefined {
  if (details === undefined) return undefined;
  return {
    errorType: details.errorType ?? "",
    errorMessage: details.errorMessage ?? "",
    stackTrace: details.stackTrace ?? null,
  };
}

function failureOf(event: WorkflowsEvent): FailureInfo | undefined {
  const failed = event.executionFailed?.failureDetails;
  if (failed !== undefined) {
    return { errorType: failed.errorType ?? "", errorMessage: failed.errorMessage ?? "", stackTrace: null };
  }
  return taskFailure(event.executionCompleted?.failureDetails) ?? taskFailure(event.metadata?.failureDetails);
}

function describeFailure(failure: FailureInfo | undefined): string {
  if (failure === undefined) return "";
  return `: ${[failure.errorType, failure.errorMessage].filter((part) => part !== "").join(": ")}`;
}

function summaryOf(type: string, event: WorkflowsEvent, failure: FailureInfo | undefined): string {
  const short = type.replace(/^io\.dapr\.workflows\./, "");
  switch (short) {
    case "started":
      return `started ${event.executionStarted?.name ?? event.metadata?.name ?? ""}`.trim();
    case "failed":
      return `failed${describeFailure(failure)}`;
    case "activity.scheduled":
      return `activity ${event.taskScheduled?.name ?? "?"} scheduled`;
    case "activity.completed":
      return `activity #${event.taskCompleted?.taskScheduledId ?? 0} completed`;
    case "activity.failed":
      return `activity #${event.taskFailed?.taskScheduledId ?? 0} failed${describeFailure(taskFailure(event.taskFailed?.failureDetails))}`;
    case "timer.created":
      return `timer created, fires at ${event.timerCreated?.fireAt ?? "?"}`;
    case "timer.fired":
      return `timer #${event.timerFired?.timerId ?? 0} fired`;
    case "child.created":
      return `child ${event.subOrchestrationCreated?.name ?? "?"} ${event.subOrchestrationCreated?.instanceId ?? ""} created`.trim();
    case "child.completed":
      return `child #${event.subOrchestrationCompleted?.taskScheduledId ?? 0} completed`;
    case "child.failed":
      return `child #${event.subOrchestrationFailed?.taskScheduledId ?? 0} failed${describeFailure(taskFailure(event.subOrchestrationFailed?.failureDetails))}`;
    case "event.raised":
      return `event ${event.eventRaised?.name ?? "?"} raised`;
    default:
      return short;
  }
}

function workflowFact(delivery: WorkflowDelivery, parts: ReturnType<typeof sourceParts>, nowMs: number): WorkflowFact {
  const event = delivery.event;
  const metadata = event.metadata;
  const app = parts?.app ?? text(delivery.extensions["daprappid"]);
  const started = event.executionStarted;
  const instanceId =
    delivery.subject ??
    metadata?.instanceId ??
    started?.workflowInstance?.instanceId ??
    event.executionFailed?.orchestrationInstance?.instanceId ??
    "unknown";
  const parentId = started?.parentInstance?.workflowInstance?.instanceId ?? metadata?.parentInstanceId;
  const parentApp = started?.parentInstance?.appID ?? metadata?.parentAppId ?? app;
  const childCreated = event.subOrchestrationCreated;
  const failure = delivery.type === "io.dapr.workflows.failed" ? failureOf(event) : undefined;
  return {
    kind: "workflow",
    source: delivery.source,
    id: delivery.id,
    type: delivery.type,
    app,
    namespace: parts?.namespace ?? text(delivery.extensions["daprnamespace"]),
    name: parts?.name ?? metadata?.name ?? started?.name ?? "unknown",
    instanceId,
    timeMs: parseTime(delivery.time) ?? nowMs,
    status: TYPE_STATUS[delivery.type] ?? statusFromOrchestration(metadata?.runtimeStatus),
    createdAtMs: parseTime(metadata?.createdAt),
    completedAtMs: parseTime(metadata?.completedAt),
    started: delivery.type === "io.dapr.workflows.started",
    activityFailed: delivery.type === "io.dapr.workflows.activity.failed",
    failure,
    parent: parentId === undefined || parentId === "" ? undefined : { app: parentApp, instanceId: parentId },
    child:
      childCreated?.instanceId === undefined
        ? undefined
        : { app, instanceId: childCreated.instanceId, name: childCreated.name ?? "unknown" },
    input: started?.input ?? metadata?.input,
    output: event.executionCompleted?.result ?? metadata?.output,
    summary: summaryOf(delivery.type, event, failure),
    data: event,
  };
}

function actorFact(delivery: ActorDelivery, parts: ReturnType<typeof sourceParts>, nowMs: number): ActorFact {
  return {
    kind: "actor",
    source: delivery.source,
    id: delivery.id,
    type: delivery.type,
    app: parts?.app ?? text(delivery.extensions["daprappid"]),
    actorType: parts?.name ?? "unknown",
    timeMs: parseTime(delivery.time) ?? nowMs,
    counter: ACTOR_COUNTERS[delivery.type] ?? "invocations",
  };
}

/**
 * What the projection takes from a decoded delivery: app, namespace and name from the bridge's
 * `source` (docs/contract.md §3.2), the instance from `subject`, the rest from the event.
 * Undefined for what is not a workflow or actor event (the bridge's undecodable records).
 */
export function factOf(delivery: Delivery, nowMs: number): Fact | undefined {
  const parts = sourceParts(delivery.source);
  if (isWorkflowEvent(delivery)) return workflowFact(delivery, parts, nowMs);
  if (isActorEvent(delivery)) return actorFact(delivery, parts, nowMs);
  return undefined;
}
