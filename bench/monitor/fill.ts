import { convertFrame } from "../../src/cloudevents/convert.js";
import { encodeProtobuf } from "../../src/cloudevents/encode-protobuf.js";
import { takeEvents } from "../../src/devtools/sequences.js";
import type { Fact, WorkflowFact } from "../../src/monitor/facts.js";
import type { InstanceStatus } from "../../src/monitor/status.js";

/**
 * What daprd posts to the monitor for `count` events of the generator's realistic mix (workflows
 * and actors interleaved): daprd's raw-subscription envelope around the bridge's protobuf CloudEvent.
 */
export function daprBodies(count: number, startTimeMs: number): Buffer[] {
  return takeEvents(count, { seed: 7, startTimeMs }).map((event, index) => {
    const record = convertFrame(event.bytes, { appId: "shop", namespace: "default" }, `bench-${index}`);
    const data = Buffer.from(encodeProtobuf(record)).toString("base64");
    return Buffer.from(
      JSON.stringify({
        data_base64: data,
        datacontenttype: "application/octet-stream",
        id: `envelope-${index}`,
        pubsubname: "pubsub",
        source: "Dapr",
        specversion: "1.0",
        topic: "dapr-events",
        type: "com.dapr.event.sent",
      }),
    );
  });
}

const NAMES = ["OrderProcessingWorkflow", "PaymentWorkflow", "UserOnboardingWorkflow", "InventoryRestockWorkflow"];

/**
 * The facts of `instances` workflow instances of `eventsPerInstance` events each (start, activities,
 * then an end for most), spread over the hour before `endMs`: the store the query benchmark reads.
 * Built directly as facts (no decode) so that filling a million events takes seconds, not minutes.
 */
export function* syntheticFacts(instances: number, eventsPerInstance: number, endMs: number): Generator<Fact[]> {
  const spanMs = 3_600_000;
  for (let n = 0; n < instances; n++) {
    const instanceId = `inst-${String(n).padStart(7, "0")}`;
    const name = NAMES[n % NAMES.length] as string;
    const start = endMs - spanMs + Math.floor((n / instances) * (spanMs - 60_000));
    const facts: Fact[] = [];
    // 10 % failed (odd n, so every name has some), 70 % completed, 20 % still running.
    const end: InstanceStatus | undefined = n % 10 === 3 ? "FAILED" : n % 10 < 8 ? "COMPLETED" : undefined;
    for (let e = 0; e < eventsPerInstance; e++) {
      const first = e === 0;
      const last = e === eventsPerInstance - 1 && end !== undefined;
      const type = first
        ? "io.dapr.workflows.started"
        : last
          ? end === "FAILED"
            ? "io.dapr.workflows.failed"
            : "io.dapr.workflows.completed"
          : e % 2 === 1
            ? "io.dapr.workflows.activity.scheduled"
            : "io.dapr.workflows.activity.completed";
      const fact: WorkflowFact = {
        kind: "workflow",
        source: `/dapr/default/shop/workflows/${name}`,
        id: `${instanceId}-${e}`,
        type,
        app: "shop",
        namespace: "default",
        name,
        instanceId,
        timeMs: start + e * 1000,
        status: first ? "RUNNING" : last ? end : undefined,
        createdAtMs: undefined,
        completedAtMs: undefined,
        started: first,
        activityFailed: false,
        failure:
          last && end === "FAILED"
            ? { errorType: "Timeout", errorMessage: "took too long", stackTrace: null }
            : undefined,
        parent: undefined,
        child: undefined,
        input: first ? '{"orderId":42}' : undefined,
        output: last ? '"done"' : undefined,
        summary: type.replace("io.dapr.workflows.", ""),
        data: { metadata: { instanceId, name } },
      };
      facts.push(fact);
    }
    yield facts;
  }
}
