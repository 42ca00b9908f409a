import { generateEvents, makeEvent, type GeneratedEvent } from "../../src/devtools/index.js";
import { bridgeProtos, TypeName } from "../../src/proto/protos.js";
import { MONITOR_TEST_APP } from "./monitor-pipeline.js";

/** Workflow runs of the first load: with their children and continue-as-new runs, more than a page of 50. */
const INITIAL_WORKFLOWS = 48;

/** The events loaded before the browser opens: workflows of every ending, and some actors. */
export function initialEvents(nowMs: number): GeneratedEvent[] {
  return [
    ...generateEvents({
      seed: 11,
      workflows: INITIAL_WORKFLOWS,
      actors: 8,
      appId: MONITOR_TEST_APP,
      startTimeMs: nowMs - 10 * 60_000,
    }),
  ];
}

/** Events sent while the page is open, in a key space of their own. */
export function lateEvents(nowMs: number): GeneratedEvent[] {
  return [
    ...generateEvents({
      seed: 23,
      workflows: 12,
      actors: 0,
      keyPrefix: "late-",
      appId: MONITOR_TEST_APP,
      startTimeMs: nowMs,
    }),
  ];
}

/** A failure whose message and stack trace carry markup: the UI must show it as text. */
export const MARKUP = {
  instanceId: "markup-0001",
  name: "PaymentWorkflow",
  errorType: "CardDeclinedException",
  errorMessage: `card <b>4242</b> declined <img src=x onerror="document.title='injected'">`,
  stackTrace: "at <script>alert(1)</script> Authorize()\n   at PaymentWorkflow.Run()",
} as const;

/** The markup instance's two events: started, then completed with status FAILED. */
export function markupEvents(nowMs: number): GeneratedEvent[] {
  const options = { instanceId: MARKUP.instanceId, workflowName: MARKUP.name, traced: false };
  const started = makeEvent("execution_started", { ...options, timeMs: nowMs - 5 * 60_000 });
  const failed = makeEvent("execution_completed", {
    ...options,
    completionStatus: "FAILED",
    timeMs: nowMs - 5 * 60_000 + 1500,
  });
  return [started, { ...failed, bytes: withFailure(failed.bytes) }];
}

/** Re-encodes an `execution_completed` event with {@link MARKUP}'s failure details. */
function withFailure(bytes: Uint8Array): Uint8Array {
  const EventRequest = bridgeProtos().lookupType(TypeName.EventRequest);
  const request = EventRequest.toObject(EventRequest.decode(bytes)) as {
    event: { workflow: { metadata: Record<string, unknown>; execution_completed: Record<string, unknown> } };
  };
  const failureDetails = {
    errorType: MARKUP.errorType,
    errorMessage: MARKUP.errorMessage,
    stackTrace: { value: MARKUP.stackTrace },
  };
  request.event.workflow.metadata["failureDetails"] = failureDetails;
  request.event.workflow.execution_completed["failureDetails"] = failureDetails;
  return EventRequest.encode(EventRequest.fromObject(request)).finish();
}
