import { convertFrame } from "../../src/cloudevents/convert.js";
import { encodeJson } from "../../src/cloudevents/encode-json.js";
import { encodeProtobuf } from "../../src/cloudevents/encode-protobuf.js";
import { bridgeProtos, TypeName } from "../../src/proto/protos.js";

const EventRequest = bridgeProtos().lookupType(TypeName.EventRequest);

/** `OrchestrationStatus` numbers (docs/contract.md §2.4). */
export const Status = { RUNNING: 0, COMPLETED: 1, CONTINUED_AS_NEW: 2, FAILED: 3, TERMINATED: 5, SUSPENDED: 7 };

/** What one test event is: an instance's event of a given oneof member. */
export interface TestEvent {
  readonly id: string;
  readonly app?: string;
  readonly instanceId?: string;
  readonly name?: string;
  /** The WorkflowsEvent member (snake_case) and its fields, e.g. `{ execution_started: {...} }`. */
  readonly member?: Record<string, unknown>;
  /** `metadata.runtimeStatus`. */
  readonly status?: number;
  /** Event time, ms. */
  readonly timeMs: number;
  /** An actor event instead: `{ activated: { actor: {...} } }`. */
  readonly actor?: Record<string, unknown>;
  readonly metadata?: Record<string, unknown>;
}

function timestamp(ms: number) {
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
}

/** The bridge's CloudEvent for a test event, as protobuf bytes or JSON bytes. */
export function cloudEvent(event: TestEvent, format: "protobuf" | "json" = "protobuf"): Uint8Array {
  const inner =
    event.actor !== undefined
      ? { actor: event.actor }
      : {
          workflow: {
            metadata: {
              instanceId: event.instanceId ?? "wf-1",
              name: event.name ?? "PaymentWorkflow",
              runtimeStatus: event.status ?? Status.RUNNING,
              ...event.metadata,
            },
            ...event.member,
          },
        };
  const frame = EventRequest.encode(EventRequest.fromObject({ time: timestamp(event.timeMs), event: inner })).finish();
  const record = convertFrame(frame, { appId: event.app ?? "orders", namespace: "default" }, event.id);
  return format === "json" ? encodeJson(record) : encodeProtobuf(record);
}

/**
 * The body daprd posts to an HTTP subscriber: for the protobuf format on a raw subscription,
 * daprd's envelope with the bytes in `data_base64`; for json on an ordinary subscription, the
 * bridge's JSON CloudEvent (with daprd's topic fields).
 */
export function daprBody(event: TestEvent, format: "protobuf" | "json" = "protobuf"): string {
  const bytes = cloudEvent(event, format);
  if (format === "json") {
    const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as Record<string, unknown>;
    return JSON.stringify({ ...parsed, topic: "dapr-events", pubsubname: "pubsub" });
  }
  return JSON.stringify({
    id: "3f1c0a4e-dapr-random",
    specversion: "1.0",
    datacontenttype: "application/octet-stream",
    source: "Dapr",
    type: "com.dapr.event.sent",
    topic: "dapr-events",
    pubsubname: "pubsub",
    data_base64: Buffer.from(bytes).toString("base64"),
  });
}

/** Builders of the common events of an instance. */
export const wf = {
  started: (id: string, instanceId: string, timeMs: number, extra: Partial<TestEvent> = {}): TestEvent => ({
    id,
    instanceId,
    timeMs,
    member: {
      execution_started: {
        name: extra.name ?? "PaymentWorkflow",
        workflowInstance: { instanceId },
        input: { value: '{"amount":5}' },
      },
    },
    ...extra,
  }),
  activityFailed: (id: string, instanceId: string, timeMs: number): TestEvent => ({
    id,
    instanceId,
    timeMs,
    member: { task_failed: { taskScheduledId: 1, failureDetails: { errorType: "Timeout", errorMessage: "slow" } } },
  }),
  completed: (id: string, instanceId: string, timeMs: number, extra: Partial<TestEvent> = {}): TestEvent => ({
    id,
    instanceId,
    timeMs,
    status: Status.COMPLETED,
    member: { execution_completed: { workflowStatus: Status.COMPLETED, result: { value: '"ok"' } } },
    ...extra,
  }),
  failed: (id: string, instanceId: string, timeMs: number, extra: Partial<TestEvent> = {}): TestEvent => ({
    id,
    instanceId,
    timeMs,
    status: Status.FAILED,
    member: {
      execution_completed: {
        workflowStatus: Status.FAILED,
        failureDetails: {
          errorType: "CardDeclined",
          errorMessage: "card declined",
          stackTrace: { value: "at Pay()\nat Run()" },
        },
      },
    },
    ...extra,
  }),
  suspended: (id: string, instanceId: string, timeMs: number): TestEvent => ({
    id,
    instanceId,
    timeMs,
    status: Status.SUSPENDED,
    member: { execution_suspended: {} },
  }),
  activityScheduled: (id: string, instanceId: string, timeMs: number): TestEvent => ({
    id,
    instanceId,
    timeMs,
    member: { task_scheduled: { name: "Charge" } },
  }),
  childCreated: (id: string, instanceId: string, child: string, timeMs: number): TestEvent => ({
    id,
    instanceId,
    timeMs,
    member: { sub_orchestration_created: { instanceId: child, name: "RefundWorkflow" } },
  }),
};

/** An actor event. */
export function actorEvent(id: string, member: string, actorType: string, timeMs: number): TestEvent {
  const fields: Record<string, unknown> = { actor: { type: actorType, id: "a-1" } };
  if (member === "invoked") fields["method_name"] = "Add";
  if (member === "reminder_triggered" || member === "timer_triggered") fields["name"] = "tick";
  return { id, timeMs, actor: { [member]: fields } };
}
