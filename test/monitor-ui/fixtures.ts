import type { FakeInstance } from "./fake-monitor.js";

const BASE = Date.parse("2026-11-30T08:00:00Z");

function at(ms: number): string {
  return new Date(BASE + ms).toISOString();
}

function instance(
  fields: Partial<FakeInstance> & Pick<FakeInstance, "instanceId" | "name" | "status">,
  offsetMs: number,
): FakeInstance {
  const terminal = ["COMPLETED", "FAILED", "TERMINATED"].includes(fields.status);
  return {
    app: "orders",
    namespace: "default",
    createdAt: at(offsetMs),
    lastUpdatedAt: at(offsetMs + 1500),
    completedAt: terminal ? at(offsetMs + 1500) : null,
    parentInstanceId: null,
    failure: null,
    history: [{ type: "io.dapr.workflows.started", time: at(offsetMs), summary: `${fields.name} started`, data: {} }],
    ...fields,
  };
}

/** The failed payment: its history ends in a failure whose text carries markup, which must stay text. */
export const FAILED_PAYMENT = instance(
  {
    instanceId: "pay-0001",
    name: "PaymentWorkflow",
    status: "FAILED",
    failure: {
      errorType: "InvalidOperationException",
      errorMessage: "payment provider rejected the card <b>4242</b>",
      stackTrace: "at AuthorizeCard (payments.cs:42)\nat PaymentWorkflow.Run (payments.cs:17)",
    },
    history: [
      {
        type: "io.dapr.workflows.started",
        time: at(60_000),
        summary: "PaymentWorkflow started",
        data: { input: '{"orderId":42}' },
      },
      {
        type: "io.dapr.workflows.activity.scheduled",
        time: at(60_300),
        summary: "AuthorizeCard scheduled",
        data: { name: "AuthorizeCard" },
      },
      {
        type: "io.dapr.workflows.activity.failed",
        time: at(60_900),
        summary: "AuthorizeCard failed: InvalidOperationException",
        data: { errorType: "InvalidOperationException" },
      },
      {
        type: "io.dapr.workflows.failed",
        time: at(61_500),
        summary: "PaymentWorkflow failed",
        data: { failureDetails: { errorType: "InvalidOperationException" } },
      },
    ],
  },
  60_000,
);

/** A few workflows of each kind, and 120 completed bulk runs to page through. */
export function fixtureInstances(): FakeInstance[] {
  const bulk = Array.from({ length: 120 }, (_, i) =>
    instance({ instanceId: `bulk-${String(i).padStart(4, "0")}`, name: "BulkWorkflow", status: "COMPLETED" }, i * 10),
  );
  return [
    ...bulk,
    FAILED_PAYMENT,
    instance({ instanceId: "pay-0002", name: "PaymentWorkflow", status: "COMPLETED" }, 50_000),
    instance({ instanceId: "pay-0003", name: "PaymentWorkflow", status: "COMPLETED" }, 40_000),
    instance({ instanceId: "order-0001", name: "OrderProcessingWorkflow", status: "RUNNING" }, 30_000),
    instance(
      { instanceId: "ship-0001", name: "ShippingWorkflow", status: "RUNNING", parentInstanceId: "order-0001" },
      31_000,
    ),
  ];
}

/** The instance the live-update test adds while the page is open. */
export function lateFailure(): FakeInstance {
  return instance(
    {
      instanceId: "pay-0099",
      name: "PaymentWorkflow",
      status: "FAILED",
      failure: { errorType: "TimeoutException", errorMessage: "activity timed out after 30s", stackTrace: "" },
    },
    90_000,
  );
}
