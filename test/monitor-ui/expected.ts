import { WORKFLOW_MEMBERS, type WorkflowMember } from "../../src/cloudevents/types.js";
import type { GeneratedEvent } from "../../src/devtools/index.js";

/** What the generator says about one workflow instance: the person should see this in the UI. */
export interface ExpectedInstance {
  readonly instanceId: string;
  readonly name: string;
  /** The runtime status of its last event, upper case (`FAILED`, `COMPLETED`, ...). */
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
    instance.types.push(WORKFLOW_MEMBERS[event.kind as WorkflowMember]);
  }
  return instances;
}

/** Instances by workflow name and status: `counts.get("PaymentWorkflow")?.get("FAILED")`. */
export function countsByNameAndStatus(instances: Iterable<ExpectedInstance>): Map<string, Map<string, number>> {
  const counts = new Map<string, Map<string, number>>();
  for (const { name, status } of instances) {
    const byStatus = counts.get(name) ?? new Map<string, number>();
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
    counts.set(name, byStatus);
  }
  return counts;
}
