/** The statuses the monitor reports for a workflow instance (the API's `status`). */
export const INSTANCE_STATUSES = [
  "PENDING",
  "RUNNING",
  "SUSPENDED",
  "COMPLETED",
  "FAILED",
  "TERMINATED",
  "CONTINUED_AS_NEW",
] as const;

/** A workflow instance's status, as the API reports it. */
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** Statuses an instance never leaves: a late or redelivered event cannot change them. */
export const TERMINAL_STATUSES: ReadonlySet<InstanceStatus> = new Set<InstanceStatus>([
  "COMPLETED",
  "FAILED",
  "TERMINATED",
]);

/** Statuses of an instance still in flight: the ones "running longer than N" counts. */
export const ACTIVE_STATUSES: readonly InstanceStatus[] = ["PENDING", "RUNNING", "SUSPENDED"];

const known: ReadonlySet<string> = new Set(INSTANCE_STATUSES);

/** Whether `value` is an {@link InstanceStatus}. */
export function isInstanceStatus(value: string): value is InstanceStatus {
  return known.has(value);
}

/**
 * The monitor's status for a durabletask `OrchestrationStatus` (name, with or without the
 * `ORCHESTRATION_STATUS_` prefix, or number). CANCELED is reported as TERMINATED and STALLED as
 * RUNNING: the API keeps the seven statuses users filter on. Undefined for anything else.
 */
export function statusFromOrchestration(value: string | number | undefined): InstanceStatus | undefined {
  if (value === undefined) return undefined;
  const name = typeof value === "number" ? ORCHESTRATION_NAMES[value] : value.replace(/^ORCHESTRATION_STATUS_/, "");
  if (name === undefined) return undefined;
  if (name === "CANCELED") return "TERMINATED";
  if (name === "STALLED") return "RUNNING";
  return isInstanceStatus(name) ? name : undefined;
}

/** `OrchestrationStatus` by number (docs/contract.md §2.4). */
const ORCHESTRATION_NAMES: readonly string[] = [
  "RUNNING",
  "COMPLETED",
  "CONTINUED_AS_NEW",
  "FAILED",
  "CANCELED",
  "TERMINATED",
  "PENDING",
  "SUSPENDED",
  "STALLED",
];

/**
 * Whether an instance in `current` (set by an event at `currentTimeMs`) moves to `next`, said by an
 * event at `eventTimeMs`. A terminal status is never left, so a late or redelivered event cannot
 * regress it; a terminal status wins over any other whatever the times (it is the last word); other
 * changes follow event time, so events of one instance arriving out of order settle on the latest.
 */
export function movesTo(
  current: InstanceStatus,
  currentTimeMs: number,
  next: InstanceStatus,
  eventTimeMs: number,
): boolean {
  if (current === next || TERMINAL_STATUSES.has(current)) return false;
  if (TERMINAL_STATUSES.has(next)) return true;
  return eventTimeMs >= currentTimeMs;
}
