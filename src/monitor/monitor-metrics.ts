import { escapeLabelValue } from "../observability/prometheus-text.js";
import type { IngestResult, MonitorStore } from "./store.js";

/** Why a delivery was not ingested. */
export type DropReason = "undecodable" | "not_an_event" | "unauthenticated";

/** The monitor's own counters (this process), rendered with the store's gauges by {@link render}. */
export class MonitorMetrics {
  ingested = 0;
  duplicates = 0;
  batches = 0;
  /** Requests on the event route: one event each, or daprd's bulk deliveries. */
  readonly deliveries = { single: 0, bulk: 0 };
  readonly dropped = new Map<DropReason, number>();
  /** Workflows that reached FAILED through this process, by app and name. */
  readonly failed = new Map<string, { app: string; name: string; count: number }>();

  record(result: IngestResult): void {
    this.batches++;
    this.ingested += result.ingested;
    this.duplicates += result.duplicates;
    for (const { app, name } of result.failed) {
      const key = `${app}\u0000${name}`;
      const entry = this.failed.get(key) ?? { app, name, count: 0 };
      entry.count++;
      this.failed.set(key, entry);
    }
  }

  drop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  /**
   * The Prometheus text of `GET /metrics`: counters of this process (sum them over replicas) and
   * gauges read from the store (the same on every replica: take max, not sum).
   */
  async render(store: MonitorStore, stuckAfterMs: number, nowMs: number, queueDepth: number): Promise<string> {
    const lines: string[] = [];
    const metric = (name: string, type: string, help: string, samples: Array<[string, number]>): void => {
      lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
    };
    const labels = (pairs: Record<string, string>): string =>
      `{${Object.entries(pairs)
        .map(([key, value]) => `${key}="${escapeLabelValue(value)}"`)
        .join(",")}}`;
    metric("dapr_monitor_events_ingested_total", "counter", "Events applied to the projection by this process.", [
      ["", this.ingested],
    ]);
    metric(
      "dapr_monitor_events_duplicate_total",
      "counter",
      "Deliveries of an event already stored (same CloudEvent source and id), ignored.",
      [["", this.duplicates]],
    );
    metric(
      "dapr_monitor_deliveries_dropped_total",
      "counter",
      "Deliveries refused: not from the bridge, not a workflow or actor event, or without the app API token.",
      [...this.dropped].map(([reason, n]) => [labels({ reason }), n]),
    );
    metric("dapr_monitor_deliveries_total", "counter", "Requests daprd made on the event route, by kind.", [
      [labels({ kind: "single" }), this.deliveries.single],
      [labels({ kind: "bulk" }), this.deliveries.bulk],
    ]);
    metric("dapr_monitor_ingest_queue_depth", "gauge", "Events waiting for the next store transaction.", [
      ["", queueDepth],
    ]);
    metric(
      "dapr_monitor_workflows_failed_total",
      "counter",
      "Workflow instances that reached FAILED, ingested by this process, by app and workflow name.",
      [...this.failed.values()].map((entry) => [labels({ app: entry.app, name: entry.name }), entry.count]),
    );
    metric(
      "dapr_monitor_workflow_instances",
      "gauge",
      "Workflow instances stored, by app, workflow name and current status.",
      (await store.statusCounts()).map((row) => [
        labels({ app: row.app, name: row.name, status: row.status }),
        row.count,
      ]),
    );
    metric(
      "dapr_monitor_workflow_instances_stuck",
      "gauge",
      `Workflow instances PENDING, RUNNING or SUSPENDED for longer than ${stuckAfterMs / 1000}s, by app and name.`,
      (await store.stuckCounts(nowMs - stuckAfterMs)).map((row) => [
        labels({ app: row.app, name: row.name }),
        row.count,
      ]),
    );
    metric("dapr_monitor_stuck_threshold_seconds", "gauge", "The threshold of dapr_monitor_workflow_instances_stuck.", [
      ["", stuckAfterMs / 1000],
    ]);
    return `${lines.join("\n")}\n`;
  }
}
