import type protobuf from "protobufjs";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { bridgeType, TypeName } from "../proto/protos.js";
import type {
  ActorKind,
  CompletionStatus,
  EventFacts,
  EventFamily,
  EventKind,
  EventObject,
  Step,
  WorkflowKind,
} from "./sequences-kinds.js";
import { ACTOR_KINDS, timestampFromMicros, WORKFLOW_KINDS } from "./sequences-kinds.js";
import { SeededRandom } from "./sequences-random.js";
import { actorScript, actorStep, workflowScript, WORKFLOW_ROTATION } from "./sequences-scripts.js";
import { WORKFLOW_DEFINITIONS, WorkflowInstance } from "./sequences-workflow.js";

/** The app id the generator names as parent app when none is given. */
export const DEFAULT_APP_ID = "demo-app";

/** Options of {@link generateEvents}: what the generated stream looks like. */
export interface SequenceOptions {
  /** Seed of the generator; the same options always give the same bytes. Integer. @default 1 */
  readonly seed?: number;
  /** Workflow instances to run (children and continue-as-new runs come on top). @default Infinity */
  readonly workflows?: number;
  /** Actor activations to run. @default Infinity */
  readonly actors?: number;
  /** Share of events that are workflow events while both families have work, in [0, 1]. @default 0.7 */
  readonly workflowRatio?: number;
  /** Instances (and activations) in flight at once per family, interleaved. @default 6 */
  readonly concurrency?: number;
  /** Prefix of every instance id and actor id, to give a stream its own key space. @default "" */
  readonly keyPrefix?: string;
  /** `EventRequest.time` of the first event, in milliseconds since the epoch. @default 1767225600000 (2026-01-01T00:00:00Z) */
  readonly startTimeMs?: number;
  /**
   * App id of the emitting sidecar: child workflow starts name it as their parent's app
   * (`parentInstance.appID`, `metadata.parentAppId`), as daprd 1.17+ does. @default "demo-app"
   */
  readonly appId?: string;
}

/** One generated event, encoded, with what the bridge is expected to make of it. */
export interface GeneratedEvent {
  /** The encoded `EventRequest`: one frame of the stream. */
  readonly bytes: Uint8Array;
  /** The oneof member name, e.g. `execution_started` or `invoked`. */
  readonly kind: EventKind;
  readonly family: EventFamily;
  /** The expected partition key: the instance id, or `<actorType>/<actorId>`. */
  readonly key: string;
  /** Position in the generated stream, from 0. */
  readonly seq: number;
  /** `EventRequest.time`, in microseconds since the epoch. */
  readonly timeMicros: number;
  readonly facts: EventFacts;
}

interface ResolvedSequenceOptions {
  readonly seed: number;
  readonly workflows: number;
  readonly actors: number;
  readonly workflowRatio: number;
  readonly concurrency: number;
  readonly keyPrefix: string;
  readonly startTimeMs: number;
  readonly appId: string;
}

function invalid(option: string, expected: string, given: unknown): BridgeError {
  return new BridgeError(
    ErrorCode.InvalidConfig,
    `sequence option ${option} must be ${expected}; given ${String(given)}`,
  );
}

function countOption(name: string, value: number | undefined): number {
  const resolved = value ?? Number.POSITIVE_INFINITY;
  if (resolved !== Number.POSITIVE_INFINITY && !(Number.isInteger(resolved) && resolved >= 0)) {
    throw invalid(name, "a non-negative integer or Infinity", value);
  }
  return resolved;
}

function resolveSequenceOptions(options: SequenceOptions): ResolvedSequenceOptions {
  const resolved: ResolvedSequenceOptions = {
    seed: options.seed ?? 1,
    workflows: countOption("workflows", options.workflows),
    actors: countOption("actors", options.actors),
    workflowRatio: options.workflowRatio ?? 0.7,
    concurrency: options.concurrency ?? 6,
    keyPrefix: options.keyPrefix ?? "",
    startTimeMs: options.startTimeMs ?? 1_767_225_600_000,
    appId: options.appId ?? DEFAULT_APP_ID,
  };
  if (!Number.isSafeInteger(resolved.seed)) throw invalid("seed", "an integer", options.seed);
  if (!(resolved.workflowRatio >= 0 && resolved.workflowRatio <= 1))
    throw invalid("workflowRatio", "a number in [0, 1]", options.workflowRatio);
  if (!(Number.isInteger(resolved.concurrency) && resolved.concurrency >= 1))
    throw invalid("concurrency", "a positive integer", options.concurrency);
  if (!Number.isSafeInteger(resolved.startTimeMs))
    throw invalid("startTimeMs", "an integer of milliseconds", options.startTimeMs);
  return resolved;
}

let eventRequestType: protobuf.Type | undefined;

/**
 * Encodes an `EventRequest` with `time` (microseconds since the epoch) and `event`. The event
 * must be encode-ready (enums as numbers, no `undefined` fields): skipping `fromObject` halves
 * the cost, which the benchmark feels.
 */
export function encodeEventRequest(timeMicros: number, event: EventObject): Uint8Array {
  eventRequestType ??= bridgeType(TypeName.EventRequest);
  return eventRequestType.encode({ time: timestampFromMicros(timeMicros), event }).finish();
}

interface Lane {
  readonly steps: Step[];
  next: number;
}

/**
 * Generates a realistic, deterministic stream of encoded `EventRequest`s: workflow instances and
 * actor activations run interleaved (`concurrency` of each in flight), each instance's events in
 * history order, `EventRequest.time` strictly increasing. Unbounded unless both `workflows` and
 * `actors` are finite. With default options, the first few hundred events hold every oneof member.
 */
export function* generateEvents(options: SequenceOptions = {}): Generator<GeneratedEvent, void, undefined> {
  const o = resolveSequenceOptions(options);
  const rng = new SeededRandom(o.seed);
  const rotationOffset = rng.int(0, WORKFLOW_ROTATION - 1);
  const workflowLanes: Lane[] = [];
  const actorLanes: Lane[] = [];
  let workflowsStarted = 0;
  let actorsStarted = 0;
  let nowMicros = o.startTimeMs * 1000;
  for (let seq = 0; ; seq++) {
    while (workflowLanes.length < o.concurrency && workflowsStarted < o.workflows) {
      const n = workflowsStarted++;
      workflowLanes.push({ steps: workflowScript(rng, o.keyPrefix, n, n + rotationOffset, o.appId), next: 0 });
    }
    while (actorLanes.length < o.concurrency && actorsStarted < o.actors) {
      actorLanes.push({ steps: actorScript(rng, o.keyPrefix, actorsStarted++), next: 0 });
    }
    if (workflowLanes.length === 0 && actorLanes.length === 0) return;
    const lanes =
      actorLanes.length === 0 || (workflowLanes.length > 0 && rng.chance(o.workflowRatio)) ? workflowLanes : actorLanes;
    const index = rng.int(0, lanes.length - 1);
    const lane = lanes[index];
    const step = lane?.steps[lane.next++];
    if (lane === undefined || step === undefined)
      throw new BridgeError(ErrorCode.Internal, "sequence generator lost a lane");
    if (lane.next >= lane.steps.length) lanes.splice(index, 1);
    nowMicros += rng.int(50, 20_000);
    yield {
      bytes: encodeEventRequest(nowMicros, step.build(nowMicros)),
      kind: step.kind,
      family: step.family,
      key: step.key,
      seq,
      timeMicros: nowMicros,
      facts: step.facts,
    };
  }
}

/** Exactly the first `count` events of {@link generateEvents}; throws if the options bound the stream below that. */
export function takeEvents(count: number, options: SequenceOptions = {}): GeneratedEvent[] {
  if (!(Number.isInteger(count) && count >= 0)) throw invalid("count", "a non-negative integer", count);
  const events: GeneratedEvent[] = [];
  if (count === 0) return events;
  for (const event of generateEvents(options)) {
    events.push(event);
    if (events.length === count) return events;
  }
  throw invalid("workflows/actors", `large enough for ${count} events`, `bounds that give ${events.length}`);
}

/** Options of {@link makeEvent}. */
export interface MakeEventOptions {
  /** Seed for the payloads. @default 1 */
  readonly seed?: number;
  /** Workflow instance id (workflow kinds). @default "order-000001" */
  readonly instanceId?: string;
  /** Workflow name (workflow kinds). @default "OrderProcessingWorkflow" */
  readonly workflowName?: string;
  /** Whether the event carries a `parentTraceContext`, where its kind has one. @default true */
  readonly traced?: boolean;
  /** `workflowStatus` of an `execution_completed`. @default "COMPLETED" */
  readonly completionStatus?: CompletionStatus;
  /** Actor type (actor kinds). @default "CartActor" */
  readonly actorType?: string;
  /** Actor id (actor kinds). @default "cart-1" */
  readonly actorId?: string;
  /** `EventRequest.time`, in milliseconds since the epoch. @default 1767225600000 */
  readonly timeMs?: number;
  /**
   * Makes `execution_started` the start of a child workflow whose parent runs in this app
   * (`parentInstance.appID`, as daprd 1.17+ writes it); unset, a top-level start.
   */
  readonly parentAppId?: string;
}

/** One encoded event of the given kind, for table tests, with its expected partition key and facts. */
export function makeEvent(kind: WorkflowKind | ActorKind, options: MakeEventOptions = {}): GeneratedEvent {
  const rng = new SeededRandom(options.seed ?? 1);
  const nowMicros = (options.timeMs ?? 1_767_225_600_000) * 1000;
  const step = isActorKind(kind)
    ? actorStep({ type: options.actorType ?? "CartActor", id: options.actorId ?? "cart-1" }, kind, actorFields(kind))
    : workflowStep(rng, kind, options);
  return {
    bytes: encodeEventRequest(nowMicros, step.build(nowMicros)),
    kind: step.kind,
    family: step.family,
    key: step.key,
    seq: 0,
    timeMicros: nowMicros,
    facts: step.facts,
  };
}

function isActorKind(kind: EventKind): kind is ActorKind {
  return (ACTOR_KINDS as readonly string[]).includes(kind);
}

function actorFields(kind: ActorKind): Record<string, string> {
  if (kind === "invoked") return { method_name: "AddItem", caller_type: "OrderActor", caller_id: "order-7" };
  if (kind === "reminder_triggered") return { name: "expire-cart" };
  if (kind === "timer_triggered") return { name: "autosave" };
  return {};
}

function workflowStep(rng: SeededRandom, kind: WorkflowKind, options: MakeEventOptions): Step {
  if (!(WORKFLOW_KINDS as readonly string[]).includes(kind))
    throw invalid("kind", "a workflow or actor oneof member", kind);
  const name = options.workflowName ?? "OrderProcessingWorkflow";
  const definition = WORKFLOW_DEFINITIONS.find((d) => d.name === name) ?? {
    name,
    activities: ["ReserveInventory"],
    externalEvents: ["ApprovalReceived"],
    child: "ShippingWorkflow",
  };
  const parent =
    options.parentAppId === undefined
      ? {}
      : {
          parent: {
            instanceId: "order-parent-1",
            name: "ParentWorkflow",
            taskScheduledId: 3,
            traceId: undefined,
            appId: options.parentAppId,
          },
        };
  const wf = new WorkflowInstance(rng, options.instanceId ?? "order-000001", definition, {
    traced: options.traced ?? true,
    ...parent,
  });
  switch (kind) {
    case "execution_started":
      return wf.started();
    case "execution_completed":
      return wf.completed(options.completionStatus ?? "COMPLETED");
    case "execution_terminated":
      return wf.terminated();
    case "execution_suspended":
      return wf.suspendResume()[0];
    case "execution_resumed":
      return wf.suspendResume()[1];
    case "execution_failed":
      return wf.failed();
    case "execution_canceled":
      return wf.canceled();
    case "task_scheduled":
      return wf.taskScheduled("ReserveInventory").step;
    case "task_completed":
      return wf.taskCompleted(0, "3f2a1c9e-0000-4000-a000-000000000001");
    case "task_failed":
      return wf.taskFailed(0, "3f2a1c9e-0000-4000-a000-000000000001");
    case "timer_created":
      return wf.timer()[0];
    case "timer_fired":
      return wf.timer()[1];
    case "sub_orchestration_created":
      return wf.subOrchestrationCreated(`${wf.instanceId}-child`, definition.child).step;
    case "sub_orchestration_completed":
      return wf.subOrchestrationEnded(0, false);
    case "sub_orchestration_failed":
      return wf.subOrchestrationEnded(0, true);
    case "event_raised":
      return wf.eventRaised();
  }
}
