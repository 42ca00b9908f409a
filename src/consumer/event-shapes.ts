/**
 * The decoded workflow and actor events a consumer gets, in the proto3 canonical JSON
 * shape (DESIGN.md §3, JSON format): lowerCamelCase names, fields at their default left
 * out, enums by name, `Timestamp`s as RFC 3339 strings, `StringValue`s as plain strings,
 * maps as objects. The same shape whichever format the bridge published in.
 */

/** durabletask `OrchestrationStatus` by name (a number if it is newer than these types). */
export type OrchestrationStatusName =
  | "ORCHESTRATION_STATUS_RUNNING"
  | "ORCHESTRATION_STATUS_COMPLETED"
  | "ORCHESTRATION_STATUS_CONTINUED_AS_NEW"
  | "ORCHESTRATION_STATUS_FAILED"
  | "ORCHESTRATION_STATUS_CANCELED"
  | "ORCHESTRATION_STATUS_TERMINATED"
  | "ORCHESTRATION_STATUS_PENDING"
  | "ORCHESTRATION_STATUS_SUSPENDED"
  | "ORCHESTRATION_STATUS_STALLED";

/** An RFC 3339 timestamp in UTC, e.g. `2025-01-31T12:00:00.123Z`. */
export type TimestampString = string;

/** durabletask `OrchestrationInstance`. */
export interface OrchestrationInstance {
  readonly instanceId?: string;
  readonly executionId?: string;
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
  readonly orchestrationInstance?: OrchestrationInstance;
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

/** durabletask `OrchestrationMetadata`: the workflow's state after the event. */
export interface OrchestrationMetadata {
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

/** Dapr's `FailureDetails` (of `execution_failed`). */
export interface FailureDetails {
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly isTransient?: boolean;
  readonly details?: Readonly<Record<string, string>>;
}

/** The members of a workflow event; exactly one of the `execution*`/`task*`/... is set. */
export interface WorkflowsEvent {
  readonly metadata?: OrchestrationMetadata;
  readonly executionStarted?: {
    readonly name?: string;
    readonly version?: string;
    readonly input?: string;
    readonly orchestrationInstance?: OrchestrationInstance;
    readonly parentInstance?: ParentInstanceInfo;
    readonly scheduledStartTimestamp?: TimestampString;
    readonly parentTraceContext?: TraceContext;
    readonly orchestrationSpanID?: string;
    readonly tags?: Readonly<Record<string, string>>;
  };
  readonly executionCompleted?: {
    readonly orchestrationStatus?: OrchestrationStatusName | number;
    readonly result?: string;
    readonly failureDetails?: TaskFailureDetails;
  };
  readonly executionTerminated?: { readonly input?: string; readonly recurse?: boolean };
  readonly executionSuspended?: { readonly input?: string };
  readonly executionResumed?: { readonly input?: string };
  readonly executionFailed?: {
    readonly orchestrationInstance?: OrchestrationInstance;
    readonly failureDetails?: FailureDetails;
    readonly reason?: string;
  };
  readonly executionCanceled?: { readonly orchestrationInstance?: OrchestrationInstance; readonly reason?: string };
  readonly taskScheduled?: {
    readonly name?: string;
    readonly version?: string;
    readonly input?: string;
    readonly parentTraceContext?: TraceContext;
    readonly taskExecutionId?: string;
  };
  readonly taskCompleted?: { readonly taskScheduledId?: number; readonly result?: string; readonly taskExecutionId?: string };
  readonly taskFailed?: {
    readonly taskScheduledId?: number;
    readonly failureDetails?: TaskFailureDetails;
    readonly taskExecutionId?: string;
  };
  readonly timerCreated?: { readonly fireAt?: TimestampString; readonly name?: string };
  readonly timerFired?: { readonly fireAt?: TimestampString; readonly timerId?: number };
  readonly subOrchestrationCreated?: {
    readonly instanceId?: string;
    readonly name?: string;
    readonly version?: string;
    readonly input?: string;
    readonly parentTraceContext?: TraceContext;
  };
  readonly subOrchestrationCompleted?: { readonly taskScheduledId?: number; readonly result?: string };
  readonly subOrchestrationFailed?: { readonly taskScheduledId?: number; readonly failureDetails?: TaskFailureDetails };
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
