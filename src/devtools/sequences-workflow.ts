import type { SeededRandom } from "./sequences-random.js";
import type { CompletionStatus, EventFacts, PlainMessage, Step, WorkflowKind } from "./sequences-kinds.js";
import { stringValue, timestampFromMicros } from "./sequences-kinds.js";

/** `OrchestrationStatus` without its `ORCHESTRATION_STATUS_` prefix. */
export type RuntimeStatus = CompletionStatus | "RUNNING" | "PENDING" | "SUSPENDED";

/** `OrchestrationStatus` numbers: events are encoded without `fromObject`, so enums are numbers. */
const STATUS_NUMBER: Readonly<Record<RuntimeStatus, number>> = {
  RUNNING: 0,
  COMPLETED: 1,
  CONTINUED_AS_NEW: 2,
  FAILED: 3,
  CANCELED: 4,
  TERMINATED: 5,
  PENDING: 6,
  SUSPENDED: 7,
};

/** A kind of workflow the generator runs: its name and the vocabulary of its steps. */
export interface WorkflowDefinition {
  readonly name: string;
  readonly activities: readonly string[];
  readonly externalEvents: readonly string[];
  readonly child: string;
}

/** The workflows of a small shop, the vocabulary of generated instances. */
export const WORKFLOW_DEFINITIONS: readonly WorkflowDefinition[] = [
  {
    name: "OrderProcessingWorkflow",
    activities: ["ReserveInventory", "ProcessPayment", "UpdateOrderStatus", "NotifyCustomer"],
    externalEvents: ["ApprovalReceived", "PaymentConfirmed"],
    child: "ShippingWorkflow",
  },
  {
    name: "PaymentWorkflow",
    activities: ["AuthorizeCard", "CapturePayment", "IssueReceipt"],
    externalEvents: ["FraudCheckPassed"],
    child: "RefundWorkflow",
  },
  {
    name: "UserOnboardingWorkflow",
    activities: ["CreateAccount", "SendWelcomeEmail", "ProvisionWorkspace"],
    externalEvents: ["EmailVerified"],
    child: "WorkspaceSetupWorkflow",
  },
  {
    name: "InventoryRestockWorkflow",
    activities: ["CheckStockLevels", "PlaceSupplierOrder", "UpdateCatalog"],
    externalEvents: ["SupplierConfirmed", "DeliveryReceived"],
    child: "SupplierOrderWorkflow",
  },
];

const ERRORS = [
  ["TimeoutException", "activity timed out after 30s"],
  ["InvalidOperationException", "payment provider rejected the card"],
  ["HttpRequestException", "connection refused by inventory-service:8080"],
  ["KeyNotFoundException", "order not found in state store"],
] as const;

/** Settings of one instance, decided by the script before any event is built. */
export interface InstanceSettings {
  readonly traced: boolean;
  /** The parent, for a child workflow. */
  readonly parent?: {
    readonly instanceId: string;
    readonly name: string;
    readonly taskScheduledId: number;
    readonly traceId: string | undefined;
    /** The parent's app id, written as `parentInstance.appID` (daprd 1.17+ sets it on every child). */
    readonly appId: string;
  };
}

/**
 * One workflow instance: builds its events in history order. Each method returns a
 * {@link Step} whose `build` fills timestamps and `metadata` at emission time.
 */
export class WorkflowInstance {
  readonly traceId: string | undefined;
  private readonly executionId: string;
  private nextHistoryId = 0;
  private createdUs: number | undefined;
  private readonly input: string;

  constructor(
    private readonly rng: SeededRandom,
    readonly instanceId: string,
    readonly definition: WorkflowDefinition,
    private readonly settings: InstanceSettings,
  ) {
    this.traceId = settings.parent?.traceId ?? (settings.traced ? rng.hex(32) : undefined);
    this.executionId = rng.hex(32);
    this.input = payload(rng, definition.name);
  }

  /** `execution_started`, with input, trace context on traced instances, tags, parent info. */
  started(): Step {
    const rng = this.rng;
    const traceParent = this.traceId === undefined ? undefined : `00-${this.traceId}-${rng.hex(16)}-01`;
    const traceState = traceParent !== undefined && rng.chance(0.3) ? "dapr=wf,congo=t61rcWkgMzE" : undefined;
    const tags = rng.chance(0.5) ? { team: rng.pick(["checkout", "payments", "growth"]), env: "dev" } : {};
    const versioned = rng.chance(0.25);
    const scheduled = rng.chance(0.1);
    const spanId = rng.hex(16);
    const parent = this.settings.parent;
    const body = (nowUs: number): PlainMessage => {
      this.createdUs = nowUs;
      return {
        name: this.definition.name,
        ...(versioned ? { version: stringValue("v2") } : {}),
        input: stringValue(this.input),
        workflowInstance: { instanceId: this.instanceId, executionId: stringValue(this.executionId) },
        ...(parent === undefined
          ? {}
          : {
              parentInstance: {
                taskScheduledId: parent.taskScheduledId,
                name: stringValue(parent.name),
                workflowInstance: { instanceId: parent.instanceId },
                appID: parent.appId,
              },
            }),
        ...(scheduled ? { scheduledStartTimestamp: timestampFromMicros(nowUs) } : {}),
        ...(traceParent === undefined
          ? {}
          : {
              parentTraceContext: {
                traceParent,
                ...(traceState === undefined ? {} : { traceState: stringValue(traceState) }),
              },
              workflowSpanID: stringValue(spanId),
            }),
        tags,
      };
    };
    return this.step(
      "execution_started",
      "RUNNING",
      body,
      { input: stringValue(this.input) },
      trace(traceParent, traceState),
    );
  }

  /** `task_scheduled` for an activity; returns the step and its history id (the `taskScheduledId`). */
  taskScheduled(name: string): { step: Step; id: number; executionId: string } {
    const id = this.nextHistoryId++;
    const executionId = this.rng.uuid();
    const input = payload(this.rng, name);
    const traceParent = this.traceId === undefined ? undefined : `00-${this.traceId}-${this.rng.hex(16)}-01`;
    const step = this.step(
      "task_scheduled",
      "RUNNING",
      () => ({
        name,
        input: stringValue(input),
        ...(traceParent === undefined ? {} : { parentTraceContext: { traceParent } }),
        taskExecutionId: executionId,
      }),
      {},
      trace(traceParent, undefined),
    );
    return { step, id, executionId };
  }

  /** `task_completed` for the activity scheduled with history id `id`. */
  taskCompleted(id: number, executionId: string): Step {
    this.nextHistoryId++;
    const result = JSON.stringify({ ok: true, ref: `r-${this.rng.hex(8)}` });
    return this.step("task_completed", "RUNNING", () => ({
      taskScheduledId: id,
      result: stringValue(result),
      taskExecutionId: executionId,
    }));
  }

  /** `task_failed` for the activity scheduled with history id `id`. */
  taskFailed(id: number, executionId: string): Step {
    this.nextHistoryId++;
    const failure = this.failure();
    return this.step("task_failed", "RUNNING", () => ({
      taskScheduledId: id,
      failureDetails: failure,
      taskExecutionId: executionId,
    }));
  }

  /** `timer_created` then, later, `timer_fired` (both returned; the caller places them). */
  timer(): [Step, Step] {
    const id = this.nextHistoryId++;
    this.nextHistoryId++;
    const delayUs = this.rng.int(1, 500) * 1000;
    const name = this.rng.pick(["retry-backoff", "reminder", "sla-deadline"]);
    let fireAt: { seconds: number; nanos: number } | undefined;
    const created = this.step("timer_created", "RUNNING", (nowUs) => {
      fireAt = timestampFromMicros(nowUs + delayUs);
      return { fireAt, name };
    });
    const fired = this.step("timer_fired", "RUNNING", (nowUs) => ({
      fireAt: fireAt ?? timestampFromMicros(nowUs),
      timerId: id,
    }));
    return [created, fired];
  }

  /** `sub_orchestration_created` for a child `childName` with id `childId`; returns the step and its history id. */
  subOrchestrationCreated(childId: string, childName: string): { step: Step; id: number; traceId: string | undefined } {
    const id = this.nextHistoryId++;
    const input = payload(this.rng, childName);
    const traceParent = this.traceId === undefined ? undefined : `00-${this.traceId}-${this.rng.hex(16)}-01`;
    const step = this.step(
      "sub_orchestration_created",
      "RUNNING",
      () => ({
        instanceId: childId,
        name: childName,
        input: stringValue(input),
        ...(traceParent === undefined ? {} : { parentTraceContext: { traceParent } }),
      }),
      {},
      trace(traceParent, undefined),
    );
    return { step, id, traceId: this.traceId };
  }

  /** `sub_orchestration_completed` or `sub_orchestration_failed` for the child created with history id `id`. */
  subOrchestrationEnded(id: number, failed: boolean): Step {
    this.nextHistoryId++;
    if (failed) {
      const failure = this.failure();
      return this.step("sub_orchestration_failed", "RUNNING", () => ({ taskScheduledId: id, failureDetails: failure }));
    }
    const result = JSON.stringify({ status: "done", trackingId: this.rng.hex(12) });
    return this.step("sub_orchestration_completed", "RUNNING", () => ({
      taskScheduledId: id,
      result: stringValue(result),
    }));
  }

  /** `event_raised` with one of the workflow's external event names. */
  eventRaised(): Step {
    this.nextHistoryId++;
    const name = this.rng.pick(this.definition.externalEvents);
    const input = JSON.stringify({ approved: this.rng.chance(0.8), by: `user-${this.rng.int(1, 99)}` });
    return this.step("event_raised", "RUNNING", () => ({ name, input: stringValue(input) }));
  }

  /** `execution_suspended` then `execution_resumed`. */
  suspendResume(): [Step, Step] {
    const reason = JSON.stringify({ reason: "paused by operator" });
    return [
      this.step("execution_suspended", "SUSPENDED", () => ({ input: stringValue(reason) })),
      this.step("execution_resumed", "RUNNING", () => ({ input: stringValue(JSON.stringify({ reason: "resumed" })) })),
    ];
  }

  /** `execution_completed` with the given status (a result, or failure details for FAILED). */
  completed(status: CompletionStatus): Step {
    const result = payload(this.rng, "result");
    const failure = status === "FAILED" ? this.failure() : undefined;
    const output = failure === undefined ? { output: stringValue(result) } : { failureDetails: failure };
    return this.terminal("execution_completed", status, output, () => ({
      workflowStatus: STATUS_NUMBER[status],
      ...(failure === undefined ? { result: stringValue(result) } : { failureDetails: failure }),
    }));
  }

  /** Dapr's own `execution_failed`. */
  failed(): Step {
    const [errorType, errorMessage] = this.rng.pick(ERRORS);
    const details = { activity: this.rng.pick(this.definition.activities), attempt: String(this.rng.int(1, 5)) };
    const failure = { errorType, errorMessage };
    return this.terminal("execution_failed", "FAILED", { failureDetails: failure }, () => ({
      orchestration_instance: { instanceId: this.instanceId, executionId: stringValue(this.executionId) },
      failure_details: { error_type: errorType, error_message: errorMessage, is_transient: false, details },
      reason: "unhandled exception in workflow code",
    }));
  }

  /** `execution_terminated`. */
  terminated(): Step {
    const recurse = this.rng.chance(0.5);
    return this.terminal("execution_terminated", "TERMINATED", {}, () => ({
      input: stringValue(JSON.stringify({ reason: "terminated by operator" })),
      recurse,
    }));
  }

  /** Dapr's own `execution_canceled`. */
  canceled(): Step {
    return this.terminal("execution_canceled", "CANCELED", {}, () => ({
      orchestration_instance: { instanceId: this.instanceId, executionId: stringValue(this.executionId) },
      reason: "cancellation requested by parent",
    }));
  }

  private failure(): PlainMessage {
    const [errorType, errorMessage] = this.rng.pick(ERRORS);
    return {
      errorType,
      errorMessage,
      stackTrace: stringValue(`at ${errorType}\n   at Worker.run()`),
      isNonRetriable: this.rng.chance(0.3),
    };
  }

  private terminal(
    kind: WorkflowKind,
    status: RuntimeStatus,
    extra: PlainMessage,
    body: (nowUs: number) => PlainMessage,
  ): Step {
    return this.step(kind, status, body, extra, {}, true);
  }

  private step(
    kind: WorkflowKind,
    status: RuntimeStatus,
    body: (nowUs: number) => PlainMessage,
    extra: PlainMessage = {},
    facts: EventFacts = {},
    terminal = false,
  ): Step {
    const parent = this.settings.parent;
    return {
      kind,
      family: "workflow",
      key: this.instanceId,
      facts: {
        instanceId: this.instanceId,
        workflowName: this.definition.name,
        runtimeStatus: status.toLowerCase(),
        ...facts,
      },
      build: (nowUs) => {
        const event = body(nowUs);
        const created = timestampFromMicros(this.createdUs ?? nowUs);
        const now = timestampFromMicros(nowUs);
        const metadata: PlainMessage = {
          instanceId: this.instanceId,
          name: this.definition.name,
          runtimeStatus: STATUS_NUMBER[status],
          createdAt: created,
          startedAt: created,
          lastUpdatedAt: now,
          ...(terminal ? { completedAt: now } : {}),
          ...(parent === undefined
            ? {}
            : { parentInstanceId: parent.instanceId, parentAppId: stringValue(parent.appId) }),
          ...extra,
        };
        return { workflow: { metadata, [kind]: event } };
      },
    };
  }
}

function trace(traceParent: string | undefined, traceState: string | undefined): EventFacts {
  return {
    ...(traceParent === undefined ? {} : { traceParent }),
    ...(traceState === undefined ? {} : { traceState }),
  };
}

/** A small realistic JSON payload (about 60–250 bytes). */
function payload(rng: SeededRandom, about: string): string {
  const items = Array.from({ length: rng.int(1, 3) }, () => ({
    sku: `SKU-${rng.int(1000, 9999)}`,
    qty: rng.int(1, 5),
  }));
  return JSON.stringify({
    ref: `${about.slice(0, 12).toLowerCase()}-${rng.hex(6)}`,
    customerId: `cust-${rng.int(1, 5000)}`,
    items,
    total: rng.int(500, 99_999) / 100,
  });
}
