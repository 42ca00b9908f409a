/**
 * The decoded workflow and actor events a consumer gets, in the proto3 canonical JSON
 * shape (the JSON format of docs/contract.md): lowerCamelCase names, fields at their default
 * left out (proto3 `optional` fields are written whenever set), enums by name,
 * `Timestamp`s as RFC 3339 strings, `StringValue`s as plain strings, bytes as base64, maps
 * as objects. The same shape whichever format the bridge published in. Names follow Dapr's
 * durabletask fork (`workflowInstance`, `workflowStatus`, ...).
 *
 * Written here rather than generated: protobufjs's generated interfaces (pbts) describe its
 * decoded objects (`.proto` names, `Long`, `Uint8Array`, enum numbers), not this JSON. Enum
 * names come from the generated types (src/proto/generated/protos.ts, from proto/), and
 * `event-shapes.test.ts` checks every field path, and the kind of JSON value each holds
 * (string, number, boolean, enum, message, map, list), against proto/.
 */
import type { durabletask } from "../proto/generated/protos.js";

/** durabletask `OrchestrationStatus` by name (a number if it is newer than these types). */
export type OrchestrationStatusName = keyof typeof durabletask.protos.v1.OrchestrationStatus;

/** An RFC 3339 timestamp in UTC, e.g. `2025-01-31T12:00:00.123Z`. */
export type TimestampString = string;

/** durabletask `WorkflowInstance` (upstream's `OrchestrationInstance`). */
export interface WorkflowInstance {
  readonly instanceId?: string;
  readonly executionId?: string;
}

/** @deprecated Renamed {@link WorkflowInstance}, as in Dapr's durabletask fork. */
export type OrchestrationInstance = WorkflowInstance;

/** durabletask `HistoryPropagationScope` by name (a number if it is newer than these types). */
export type HistoryPropagationScopeName = keyof typeof durabletask.protos.v1.HistoryPropagationScope;

/** durabletask `RerunParentInstanceInfo` / `RetryParentInstanceInfo`. */
export interface RelatedInstanceInfo {
  readonly instanceID?: string;
}

/** durabletask `ActivityCompletionAttestation` / `ChildCompletionAttestation`: base64 bytes. */
export interface CompletionAttestation {
  readonly payload?: string;
  readonly signature?: string;
}

/** durabletask `TaskFailureDetails`. */
export interface TaskFailureDetails {
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly stackTrace?: string;
  readonly innerFailure?: TaskFailureDetails;
  readonly isNonRetriable?: boolean;
}

/** durabletask `ParentInstanceInfo`. */
export interface ParentInstanceInfo {
  readonly taskScheduledId?: number;
  readonly name?: string;
  readonly version?: string;
  readonly workflowInstance?: WorkflowInstance;
  /** The parent's app id; daprd 1.17+ sets it on every child workflow. */
  readonly appID?: string;
  readonly appNamespace?: string;
}

/** durabletask `TraceContext`. */
export interface TraceContext {
  readonly traceParent?: string;
  /** @deprecated in durabletask. */
  readonly spanID?: string;
  readonly traceState?: string;
}

/** durabletask `WorkflowMetadata` (formerly `OrchestrationMetadata`): the workflow's state after the event. */
export interface WorkflowMetadata {
  readonly instanceId?: string;
  readonly name?: string;
  /** Absent means `ORCHESTRATION_STATUS_RUNNING` (the proto default). */
  readonly runtimeStatus?: OrchestrationStatusName | number;
  readonly createdAt?: TimestampString;
  readonly lastUpdatedAt?: TimestampString;
  readonly input?: string;
  readonly output?: string;
  readonly customStatus?: string;
  readonly failureDetails?: TaskFailureDetails;
  readonly completedAt?: TimestampString;
  readonly parentInstanceId?: string;
  readonly version?: string;
  readonly parentAppId?: string;
  readonly startedAt?: TimestampString;
}

/** @deprecated Renamed {@link WorkflowMetadata}, as in Dapr's durabletask fork. */
export type OrchestrationMetadata = WorkflowMetadata;

/** Dapr's `FailureDetails` (of `execution_failed`). */
export interface FailureDetails {
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly isTransient?: boolean;
  readonly details?: Readonly<Record<string, string>>;
}

/** The members of a workflow event; exactly one of the `execution*`/`task*`/... is set. */
export interface WorkflowsEvent {
  readonly metadata?: WorkflowMetadata;
  readonly executionStarted?: {
    readonly name?: string;
    readonly version?: string;
    readonly input?: string;
    readonly workflowInstance?: WorkflowInstance;
    /** Set on a child workflow's start. */
    readonly parentInstance?: ParentInstanceInfo;
    readonly scheduledStartTimestamp?: TimestampString;
    readonly parentTraceContext?: TraceContext;
    readonly workflowSpanID?: string;
    readonly tags?: Readonly<Record<string, string>>;
  };
  readonly executionCompleted?: {
    readonly workflowStatus?: OrchestrationStatusName | number;
    readonly result?: string;
    readonly failureDetails?: TaskFailureDetails;
  };
  readonly executionTerminated?: { readonly input?: string; readonly recurse?: boolean };
  readonly executionSuspended?: { readonly input?: string };
  readonly executionResumed?: { readonly input?: string };
  readonly executionFailed?: {
    /** Dapr's own message: its snake_case `orchestration_instance` field. */
    readonly orchestrationInstance?: WorkflowInstance;
    readonly failureDetails?: FailureDetails;
    readonly reason?: string;
  };
  readonly executionCanceled?: { readonly orchestrationInstance?: WorkflowInstance; readonly reason?: string };
  readonly taskScheduled?: {
    readonly name?: string;
    readonly version?: string;
    readonly input?: string;
    readonly parentTraceContext?: TraceContext;
    readonly taskExecutionId?: string;
    readonly rerunParentInstanceInfo?: RelatedInstanceInfo;
    readonly historyPropagationScope?: HistoryPropagationScopeName | number;
  };
  readonly taskCompleted?: {
    readonly taskScheduledId?: number;
    readonly result?: string;
    readonly taskExecutionId?: string;
    readonly attestation?: CompletionAttestation;
    /** Base64. */
    readonly signerCertificate?: string;
  };
  readonly taskFailed?: {
    readonly taskScheduledId?: number;
    readonly failureDetails?: TaskFailureDetails;
    readonly taskExecutionId?: string;
    readonly attestation?: CompletionAttestation;
    /** Base64. */
    readonly signerCertificate?: string;
  };
  readonly timerCreated?: {
    readonly fireAt?: TimestampString;
    readonly name?: string;
    readonly rerunParentInstanceInfo?: RelatedInstanceInfo;
    /** At most one of the four origins is set. */
    readonly createTimer?: Readonly<Record<string, never>>;
    readonly externalEvent?: { readonly name?: string };
    readonly activityRetry?: { readonly taskExecutionId?: string };
    readonly childWorkflowRetry?: { readonly instanceId?: string };
  };
  readonly timerFired?: { readonly fireAt?: TimestampString; readonly timerId?: number };
  /** Dapr's member name; the message is durabletask's `ChildWorkflowInstanceCreatedEvent`. */
  readonly subOrchestrationCreated?: {
    readonly instanceId?: string;
    readonly name?: string;
    readonly version?: string;
    readonly input?: string;
    readonly parentTraceContext?: TraceContext;
    readonly rerunParentInstanceInfo?: RelatedInstanceInfo;
    readonly historyPropagationScope?: HistoryPropagationScopeName | number;
    readonly retryParentInstanceInfo?: RelatedInstanceInfo;
  };
  readonly subOrchestrationCompleted?: {
    readonly taskScheduledId?: number;
    readonly result?: string;
    readonly attestation?: CompletionAttestation;
    /** Base64. */
    readonly signerCertificate?: string;
  };
  readonly subOrchestrationFailed?: {
    readonly taskScheduledId?: number;
    readonly failureDetails?: TaskFailureDetails;
    readonly attestation?: CompletionAttestation;
    /** Base64. */
    readonly signerCertificate?: string;
  };
  readonly eventRaised?: { readonly name?: string; readonly input?: string };
}

/** Dapr's `Actor`. */
export interface Actor {
  readonly type?: string;
  readonly id?: string;
}

/** The members of an actor event; exactly one is set. */
export interface ActorsEvent {
  readonly activated?: { readonly actor?: Actor };
  readonly deactivated?: { readonly actor?: Actor };
  readonly reminderTriggered?: { readonly actor?: Actor; readonly name?: string };
  readonly timerTriggered?: { readonly actor?: Actor; readonly name?: string };
  readonly invoked?: {
    readonly actor?: Actor;
    readonly methodName?: string;
    readonly callerType?: string;
    readonly callerId?: string;
  };
}
