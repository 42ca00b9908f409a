import type { SeededRandom } from "./sequences-random.js";
import type { ActorKind, PlainMessage, Step } from "./sequences-kinds.js";
import { WORKFLOW_DEFINITIONS, WorkflowInstance } from "./sequences-workflow.js";

type Ending =
  | "completed"
  | "suspended"
  | "failed"
  | "terminated"
  | "canceled"
  | "completed_failed"
  | "completed_terminated"
  | "completed_canceled"
  | "continued_as_new";

/**
 * How instances end, taken in turn (from a seeded offset). A rotation rather than a draw so
 * that every ending shows up within a dozen instances, whatever the seed.
 */
const ENDINGS: readonly Ending[] = [
  "completed",
  "suspended",
  "failed",
  "completed",
  "terminated",
  "completed_failed",
  "completed",
  "continued_as_new",
  "canceled",
  "completed",
  "completed_terminated",
  "completed_canceled",
];

/** The number of instances after which every ending and every workflow kind has appeared. */
export const WORKFLOW_ROTATION = ENDINGS.length;

/**
 * The events of one workflow instance (and of its child, if it has one), in history order:
 * started, activities (some failing and retried, some fanned out), maybe a timer, an external
 * event and a child workflow, then an ending chosen by `rotation`. `index` makes the
 * instance id unique within a generator; `appId` is the emitting app, the parent app of children.
 */
export function workflowScript(
  rng: SeededRandom,
  keyPrefix: string,
  index: number,
  rotation: number,
  appId: string,
): Step[] {
  const definition = rng.pick(WORKFLOW_DEFINITIONS);
  const slug = definition.name.replace(/Workflow$/, "").toLowerCase();
  const instanceId = `${keyPrefix}${slug}-${String(index).padStart(6, "0")}-${rng.hex(4)}`;
  const wf = new WorkflowInstance(rng, instanceId, definition, { traced: rng.chance(0.7) });
  const steps: Step[] = [wf.started()];
  const slot = rotation % ENDINGS.length;
  activities(rng, wf, steps, slot % 4 === 3);
  if (rng.chance(0.4) || slot % 4 === 2) steps.push(...wf.timer());
  if (rng.chance(0.3) || slot % 5 === 3) steps.push(wf.eventRaised());
  if (rng.chance(0.15) || slot % 3 === 1) childWorkflow(rng, wf, steps, slot % 6 === 4, appId);
  switch (ENDINGS[slot] ?? "completed") {
    case "completed":
      steps.push(wf.completed("COMPLETED"));
      break;
    case "suspended":
      steps.push(...wf.suspendResume(), wf.completed("COMPLETED"));
      break;
    case "failed":
      steps.push(wf.failed());
      break;
    case "terminated":
      steps.push(wf.terminated());
      break;
    case "canceled":
      steps.push(wf.canceled());
      break;
    case "completed_failed":
      steps.push(wf.completed("FAILED"));
      break;
    case "completed_terminated":
      steps.push(wf.completed("TERMINATED"));
      break;
    case "completed_canceled":
      steps.push(wf.completed("CANCELED"));
      break;
    case "continued_as_new": {
      // The same instance id starts again as a new execution and runs to completion.
      steps.push(wf.completed("CONTINUED_AS_NEW"));
      const next = new WorkflowInstance(rng, instanceId, definition, { traced: wf.traceId !== undefined });
      steps.push(next.started());
      activities(rng, next, steps, false);
      steps.push(next.completed("COMPLETED"));
      break;
    }
  }
  return steps;
}

function activities(rng: SeededRandom, wf: WorkflowInstance, steps: Step[], failFirst: boolean): void {
  const names = wf.definition.activities;
  const count = rng.int(1, 3);
  if (count > 1 && rng.chance(0.3)) {
    // Fan-out: every activity is scheduled before any completes.
    const scheduled = Array.from({ length: count }, (_, i) => wf.taskScheduled(names[i % names.length] ?? "Activity"));
    steps.push(...scheduled.map((s) => s.step));
    steps.push(...scheduled.map((s) => wf.taskCompleted(s.id, s.executionId)));
    return;
  }
  for (let i = 0; i < count; i++) {
    const name = names[i % names.length] ?? "Activity";
    const task = wf.taskScheduled(name);
    steps.push(task.step);
    if ((failFirst && i === 0) || rng.chance(0.1)) {
      // A failed activity is retried once, successfully.
      steps.push(wf.taskFailed(task.id, task.executionId));
      const retry = wf.taskScheduled(name);
      steps.push(retry.step, wf.taskCompleted(retry.id, retry.executionId));
    } else {
      steps.push(wf.taskCompleted(task.id, task.executionId));
    }
  }
}

function childWorkflow(
  rng: SeededRandom,
  parent: WorkflowInstance,
  steps: Step[],
  fails: boolean,
  appId: string,
): void {
  const definition = WORKFLOW_DEFINITIONS.find((d) => d.name === parent.definition.child) ?? {
    name: parent.definition.child,
    activities: ["PrepareShipment", "BookCarrier"],
    externalEvents: ["CarrierConfirmed"],
    child: parent.definition.child,
  };
  const childId = `${parent.instanceId}-child`;
  const created = parent.subOrchestrationCreated(childId, definition.name);
  steps.push(created.step);
  const child = new WorkflowInstance(rng, childId, definition, {
    traced: created.traceId !== undefined,
    parent: {
      instanceId: parent.instanceId,
      name: parent.definition.name,
      taskScheduledId: created.id,
      traceId: created.traceId,
      appId,
    },
  });
  const task = child.taskScheduled(definition.activities[0] ?? "Activity");
  steps.push(child.started(), task.step, child.taskCompleted(task.id, task.executionId));
  steps.push(child.completed(fails ? "FAILED" : "COMPLETED"), parent.subOrchestrationEnded(created.id, fails));
}

interface ActorDefinition {
  readonly type: string;
  readonly slug: string;
  readonly methods: readonly string[];
  readonly reminders: readonly string[];
  readonly timers: readonly string[];
}

const ACTOR_DEFINITIONS: readonly ActorDefinition[] = [
  {
    type: "CartActor",
    slug: "cart",
    methods: ["AddItem", "RemoveItem", "GetCart"],
    reminders: ["expire-cart"],
    timers: ["autosave"],
  },
  {
    type: "OrderActor",
    slug: "order",
    methods: ["GetStatus", "Cancel", "Ship"],
    reminders: ["sla-check"],
    timers: ["poll-carrier"],
  },
  {
    type: "DeviceTwinActor",
    slug: "device",
    methods: ["ReportTelemetry", "SetDesiredState"],
    reminders: ["firmware-check"],
    timers: ["heartbeat"],
  },
  {
    type: "SessionActor",
    slug: "session",
    methods: ["Touch", "GetSession", "End"],
    reminders: ["idle-timeout"],
    timers: ["refresh-token"],
  },
];

/**
 * The events of one actor activation: activated, a few invocations (some actor-to-actor),
 * reminders and timers, then deactivated. `index` makes the id unique within a generator.
 */
export function actorScript(rng: SeededRandom, keyPrefix: string, index: number): Step[] {
  const def = rng.pick(ACTOR_DEFINITIONS);
  const actor = { type: def.type, id: `${keyPrefix}${def.slug}-${String(index).padStart(6, "0")}-${rng.hex(4)}` };
  const make = (kind: ActorKind, fields: PlainMessage = {}): Step => actorStep(actor, kind, fields);
  const steps: Step[] = [make("activated")];
  const count = rng.int(1, 5);
  for (let i = 0; i < count; i++) {
    const roll = rng.next();
    if (roll < 0.6) {
      const caller = rng.chance(0.3) ? rng.pick(ACTOR_DEFINITIONS) : undefined;
      const callerFields =
        caller === undefined
          ? {}
          : { caller_type: caller.type, caller_id: `${keyPrefix}${caller.slug}-${rng.int(0, 999)}` };
      steps.push(make("invoked", { method_name: rng.pick(def.methods), ...callerFields }));
    } else if (roll < 0.8) {
      steps.push(make("reminder_triggered", { name: rng.pick(def.reminders) }));
    } else {
      steps.push(make("timer_triggered", { name: rng.pick(def.timers) }));
    }
  }
  // Every other actor has a reminder and a timer, so short runs still show both.
  if (index % 2 === 0) steps.push(make("reminder_triggered", { name: rng.pick(def.reminders) }));
  else steps.push(make("timer_triggered", { name: rng.pick(def.timers) }));
  steps.push(make("deactivated"));
  return steps;
}

/** One actor event for `actor`. */
export function actorStep(
  actor: { readonly type: string; readonly id: string },
  kind: ActorKind,
  fields: PlainMessage = {},
): Step {
  return {
    kind,
    family: "actor",
    key: `${actor.type}/${actor.id}`,
    facts: { actor },
    build: () => ({ actor: { [kind]: { actor: { type: actor.type, id: actor.id }, ...fields } } }),
  };
}
