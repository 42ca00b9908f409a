// Types of typed-subscriber.mjs, for TypeScript callers (test/example-subscriber.test.ts).
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Delivery, WorkflowDelivery } from "dapr-event-bridge/consumer";

/** An alert for one failed workflow. */
export interface Alert {
  readonly id: string;
  readonly source: string;
  readonly instanceId: string;
  readonly workflow: string;
  /** `errorType: errorMessage` of the failure, as far as the event has them. */
  readonly error: string;
}

/** Options of {@link createHandler}. */
export interface SubscriberOptions {
  /** Called once per failed workflow; a rejection makes Dapr retry the delivery. @default a JSON line on stdout */
  readonly onAlert?: (alert: Alert) => void | Promise<void>;
  /** Called with every decoded delivery, after de-duplication. */
  readonly onDelivery?: (delivery: Delivery) => void;
  /**
   * Called with each problem met (a body that is not from the bridge, a failed alert, an
   * undecodable dead letter), as a JSON-able object. @default a JSON line on stderr
   */
  readonly onProblem?: (problem: Record<string, unknown>) => void;
  /** Recent `source` + `id` pairs remembered for de-duplication. @default 10000 */
  readonly dedupWindow?: number;
}

/** Counts by CloudEvent type, and the last 100 alerts. */
export interface Dashboard {
  readonly counts: Readonly<Record<string, number>>;
  readonly alerts: readonly Alert[];
}

/** The alert of a failed workflow delivery. */
export function alertOf(delivery: WorkflowDelivery): Alert;

/** The subscriber's request handler and its state. */
export function createHandler(options?: SubscriberOptions): {
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  readonly dashboard: () => Dashboard;
};

/** Starts the subscriber on `port` (0 picks a free one). */
export function startSubscriber(
  options?: { readonly port?: number; readonly host?: string } & SubscriberOptions,
): Promise<{ readonly port: number; close(): Promise<void> }>;
