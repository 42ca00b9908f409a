import { describe, expect, it } from "vitest";
import { BridgeError } from "../errors/bridge-error.js";
import { bridgeType, TypeName } from "../proto/protos.js";
import { ACTOR_KINDS, COMPLETION_STATUSES, WORKFLOW_KINDS } from "./sequences-kinds.js";
import type { GeneratedEvent } from "./sequences.js";
import { generateEvents, makeEvent, takeEvents } from "./sequences.js";

const EventRequest = bridgeType(TypeName.EventRequest);
const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;
const TERMINAL = new Set(["execution_completed", "execution_failed", "execution_terminated", "execution_canceled"]);

interface Decoded {
  time: { seconds: number; nanos: number };
  event: {
    type: "workflow" | "actor";
    workflow?: Record<string, Record<string, unknown> | string>;
    actor?: Record<string, Record<string, unknown> | string>;
  };
}

function decode(bytes: Uint8Array): Decoded {
  return EventRequest.toObject(EventRequest.decode(bytes), {
    enums: String,
    longs: Number,
    oneofs: true,
    defaults: true,
  }) as Decoded;
}

/** The oneof member, the body and the metadata of a decoded event. */
function member(decoded: Decoded): { kind: string; body: Record<string, unknown>; metadata?: Record<string, unknown> } {
  const family = decoded.event[decoded.event.type] ?? {};
  const kind = family.event_type as string;
  const body = family[kind] as Record<string, unknown>;
  const metadata = family.metadata as Record<string, unknown> | undefined;
  return metadata === undefined ? { kind, body } : { kind, body, metadata };
}

function expectedKey(decoded: Decoded): string {
  const { body, metadata } = member(decoded);
  if (decoded.event.type === "workflow") return metadata?.instanceId as string;
  const actor = body.actor as { type: string; id: string };
  return `${actor.type}/${actor.id}`;
}

describe("generateEvents", () => {
  it("gives the same bytes for the same seed, and other bytes for another seed", () => {
    const bytes = (seed: number): Buffer => Buffer.concat(takeEvents(500, { seed }).map((e) => e.bytes));
    expect(bytes(7).equals(bytes(7))).toBe(true);
    expect(bytes(7).equals(bytes(8))).toBe(false);
  });

  it("covers all 16 workflow and 5 actor kinds in 300 events with default options, and in 400 for other seeds", () => {
    const all = [...WORKFLOW_KINDS, ...ACTOR_KINDS].sort();
    expect([...new Set(takeEvents(300).map((e) => e.kind))].sort()).toEqual(all);
    for (let seed = 2; seed <= 10; seed++) {
      expect([...new Set(takeEvents(400, { seed }).map((e) => e.kind))].sort(), `seed ${seed}`).toEqual(all);
    }
  });

  it("encodes frames whose oneof member, partition key and family match what it reports, with time increasing", () => {
    let lastTime = -1;
    const events = takeEvents(600, { seed: 3 });
    for (const event of events) {
      const decoded = decode(event.bytes);
      expect(decoded.event.type).toBe(event.family);
      expect(member(decoded).kind).toBe(event.kind);
      expect(expectedKey(decoded)).toBe(event.key);
      const micros = decoded.time.seconds * 1e6 + decoded.time.nanos / 1000;
      expect(micros).toBe(event.timeMicros);
      expect(micros).toBeGreaterThan(lastTime);
      lastTime = micros;
    }
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i));
    const workflowShare = events.filter((e) => e.family === "workflow").length / events.length;
    expect(workflowShare).toBeGreaterThan(0.55);
    expect(workflowShare).toBeLessThan(0.85);
  });

  it("keeps each instance's history in order: started first, a terminal event last, statuses matching", () => {
    const byKey = new Map<string, GeneratedEvent[]>();
    for (const event of generateEvents({ workflows: 40, actors: 15, seed: 5 })) {
      byKey.set(event.key, [...(byKey.get(event.key) ?? []), event]);
    }
    for (const [key, events] of byKey) {
      const kinds = events.map((e) => e.kind);
      if (events[0]?.family === "actor") {
        expect(kinds[0], key).toBe("activated");
        expect(kinds.at(-1), key).toBe("deactivated");
        continue;
      }
      expect(kinds[0], key).toBe("execution_started");
      expect(TERMINAL.has(kinds.at(-1) ?? ""), `${key}: ${kinds.join(",")}`).toBe(true);
      expect(kinds.filter((k) => k === "task_completed" || k === "task_failed").length).toBe(
        kinds.filter((k) => k === "task_scheduled").length,
      );
      for (const event of events) {
        const { kind, body, metadata } = member(decode(event.bytes));
        const status = String(metadata?.runtimeStatus).replace("ORCHESTRATION_STATUS_", "");
        expect(status.toLowerCase()).toBe(event.facts.runtimeStatus);
        if (kind === "execution_completed") expect(body.workflowStatus).toBe(metadata?.runtimeStatus);
        if (kind === "execution_suspended") expect(status).toBe("SUSPENDED");
        if (kind === "execution_failed") expect(status).toBe("FAILED");
        if (kind === "execution_terminated") expect(status).toBe("TERMINATED");
        if (kind === "execution_canceled") expect(status).toBe("CANCELED");
        if (kind === "execution_started") {
          const trace = (body.parentTraceContext as { traceParent?: string } | null)?.traceParent;
          if (trace !== undefined) expect(trace).toMatch(TRACEPARENT);
          expect(String((body.input as { value: string }).value).length).toBeGreaterThanOrEqual(50);
          expect(String((body.input as { value: string }).value).length).toBeLessThanOrEqual(300);
        }
      }
    }
    // Interleaved: other keys' events fall between the first and last event of a key.
    const interleaved = [...byKey.values()].filter(
      (events) => (events.at(-1)?.seq ?? 0) - (events[0]?.seq ?? 0) + 1 > events.length,
    );
    expect(interleaved.length).toBeGreaterThan(byKey.size / 2);
    expect([...byKey.keys()].filter((k) => k.includes("/"))).toHaveLength(15);
  });

  it("gives each key prefix its own key space", () => {
    const keys = takeEvents(200, { keyPrefix: "s1-" }).map((e) => e.key);
    expect(keys.every((k) => k.startsWith("s1-") || k.includes("/s1-"))).toBe(true);
  });

  it("starts child workflows with the parent's app id, as daprd 1.17+ does", () => {
    const childStarts = takeEvents(300, { appId: "shop" })
      .map((event) => member(decode(event.bytes)))
      .filter(
        ({ kind, body }) =>
          kind === "execution_started" && body.parentInstance !== null && body.parentInstance !== undefined,
      );
    expect(childStarts.length).toBeGreaterThan(0);
    for (const { body, metadata } of childStarts) {
      const parent = body.parentInstance as { appID?: string; workflowInstance?: { instanceId?: string } };
      expect(parent.appID).toBe("shop");
      expect(metadata?.parentInstanceId).toBe(parent.workflowInstance?.instanceId);
      expect(metadata?.parentAppId).toEqual({ value: "shop" });
    }
    const child = member(decode(makeEvent("execution_started", { parentAppId: "order-app" }).bytes));
    expect(child.body.parentInstance).toMatchObject({
      appID: "order-app",
      workflowInstance: { instanceId: "order-parent-1" },
    });
    expect(member(decode(makeEvent("execution_started").bytes)).body.parentInstance).toBeNull();
  });

  it("stops when bounded and rejects a takeEvents count beyond the bound", () => {
    expect([...generateEvents({ workflows: 0, actors: 0 })]).toHaveLength(0);
    expect(() => takeEvents(100_000, { workflows: 1, actors: 1 })).toThrow(/large enough for 100000 events/);
  });

  it("rejects bad options naming the option, the expectation and the value", () => {
    const error = (() => {
      try {
        takeEvents(1, { workflowRatio: 1.5 });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe("invalid_config");
    expect((error as BridgeError).message).toBe("sequence option workflowRatio must be a number in [0, 1]; given 1.5");
    expect(() => takeEvents(1, { concurrency: 0 })).toThrow(/concurrency must be a positive integer; given 0/);
    expect(() => takeEvents(1, { workflows: -1 })).toThrow(
      /workflows must be a non-negative integer or Infinity; given -1/,
    );
  });
});

describe("makeEvent", () => {
  it.each([...WORKFLOW_KINDS])("makes a %s workflow event keyed by its instance id", (kind) => {
    const event = makeEvent(kind, { instanceId: "inst-1" });
    const decoded = decode(event.bytes);
    expect(event.family).toBe("workflow");
    expect(member(decoded).kind).toBe(kind);
    expect(event.key).toBe("inst-1");
    expect(member(decoded).metadata?.instanceId).toBe("inst-1");
    expect(member(decoded).metadata?.name).toBe("OrderProcessingWorkflow");
  });

  it.each([...ACTOR_KINDS])("makes a %s actor event keyed by type/id", (kind) => {
    const event = makeEvent(kind, { actorType: "CartActor", actorId: "c-9" });
    const { kind: decodedKind, body } = member(decode(event.bytes));
    expect(decodedKind).toBe(kind);
    expect(body.actor).toEqual({ type: "CartActor", id: "c-9" });
    expect(event.key).toBe("CartActor/c-9");
  });

  it.each([...COMPLETION_STATUSES])("makes an execution_completed with status %s", (status) => {
    const { body, metadata } = member(decode(makeEvent("execution_completed", { completionStatus: status }).bytes));
    expect(body.workflowStatus).toBe(`ORCHESTRATION_STATUS_${status}`);
    expect(metadata?.runtimeStatus).toBe(`ORCHESTRATION_STATUS_${status}`);
  });

  it("puts a valid traceparent on traced events and reports it, and none when not traced", () => {
    for (const kind of ["execution_started", "task_scheduled", "sub_orchestration_created"] as const) {
      const traced = makeEvent(kind);
      const { body } = member(decode(traced.bytes));
      expect((body.parentTraceContext as { traceParent: string }).traceParent).toBe(traced.facts.traceParent);
      expect(traced.facts.traceParent).toMatch(TRACEPARENT);
      const plain = makeEvent(kind, { traced: false });
      expect(member(decode(plain.bytes)).body.parentTraceContext).toBeNull();
      expect(plain.facts.traceParent).toBeUndefined();
    }
  });
});
