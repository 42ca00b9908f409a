import { COMPLETED_STATUS_TYPES, WORKFLOW_MEMBERS, type WorkflowMember } from "../../src/cloudevents/types.js";
import type { GeneratedEvent } from "../../src/devtools/index.js";

/** `OrchestrationStatus` numbers of the completion statuses (docs/contract.md §2.4). */
const COMPLETION_NUMBERS: Readonly<Record<string, number>> = {
  completed: 1,
  continued_as_new: 2,
  failed: 3,
  canceled: 4,
  terminated: 5,
};

/** The CloudEvent type the bridge gives an event: `execution_completed` is typed by its status (§3.4). */
function cloudEventType(event: GeneratedEvent): string {
  if (event.kind === "execution_completed") {
    const type = COMPLETED_STATUS_TYPES.get(COMPLETION_NUMBERS[event.facts.runtimeStatus ?? "completed"] ?? 1);
    if (type !== undefined) return type;
  }
  return WORKFLOW_MEMBERS[event.kind as WorkflowMember];
}

/** What the generator says about one workflow instance: the person should see this in the UI. */
export interface ExpectedInstance {
  readonly instanceId: string;
  readonly name: string;
  /** The runtime status of its last event, upper case (`FAILED`, `CANCELED`, ...); see {@link apiStatus}. */
  readonly status: string;
  /** CloudEvent types of its events, in history order. */
  readonly types: readonly string[];
}

/**
 * The workflow instances of a generated stream, from the generator's own facts (not from the
 * monitor's code): each instance's name, final runtime status and event types in order.
 */
export function expectedInstances(events: Iterable<GeneratedEvent>): Map<string, ExpectedInstance> {
  const instances = new Map<string, { instanceId: string; name: string; status: string; types: string[] }>();
  for (const event of events) {
    const { instanceId, workflowName, runtimeStatus } = event.facts;
    if (event.family !== "workflow" || instanceId === undefined) continue;
    let instance = instances.get(instanceId);
    if (instance === undefined) {
      instance = { instanceId, name: workflowName ?? "unknown", status: "", types: [] };
      instances.set(instanceId, instance);
    }
    if (runtimeStatus !== undefined) instance.status = runtimeStatus.toUpperCase();
    instance.types.push(cloudEventType(event));
  }
  return instances;
}

/** Instances by workflow name and API status: `counts.get("PaymentWorkflow")?.get("FAILED")`. */
export function countsByNameAndStatus(instances: Iterable<ExpectedInstance>): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const instance of instances) {
    const { name } = instance;
    const status = apiStatus(instance.status);
    const byStatus = counts.get(name) ?? new Map<string, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    counts.set(name, byStatus);
  }
  return counts;
}

/** The status the API reports for a runtime status: it has no CANCELED, which it reports as TERMINATED. */
export function apiStatus(status: string): string {
  return status === "CANCELED" ? "TERMINATED" : status;
}
