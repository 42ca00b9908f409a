import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Monitor } from "../../src/monitor/monitor.js";
import { parsePrometheusText } from "../../src/observability/prometheus-text.js";
import { actorEvent, cloudEvent, daprBody, wf, type TestEvent } from "./events.js";

const NOW = Date.now();
let monitor: Monitor;
let url: string;

async function post(event: TestEvent, format: "protobuf" | "json" = "protobuf", headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/events`, {
    method: "POST",
    headers: { "content-type": "application/cloudevents+json", ...headers },
    body: daprBody(event, format),
  });
  return { status: response.status, body: (await response.json()) as { status?: string; error?: string } };
}

async function get<T>(pathname: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${pathname}`);
  return { status: response.status, body: (await response.json()) as T };
}

interface ListBody {
  instances: Array<Record<string, unknown> & { instanceId: string; status: string }>;
  nextCursor: string | null;
  total: number;
}

describe("the monitor's HTTP API", () => {
  beforeEach(async () => {
    monitor = new Monitor({ listen: "127.0.0.1:0", db: ":memory:", uiDir: "/nonexistent-monitor-ui" });
    url = (await monitor.start()).url;
  });
  afterEach(async () => {
    await monitor.close();
  });

  it("answers daprd's subscription question with the raw-payload subscription", async () => {
    const { body } = await get<unknown[]>("/dapr/subscribe");
    expect(body).toEqual([
      { pubsubname: "pubsub", topic: "dapr-events", route: "/events", metadata: { rawPayload: "true" } },
    ]);
  });

  it("ingests both formats, lists by status and name, and shows an instance with its history", async () => {
    expect((await post(wf.started("e1", "pay-1", NOW - 5000))).body.status).toBe("SUCCESS");
    await post(wf.activityFailed("e2", "pay-1", NOW - 4000), "json");
    await post(wf.failed("e3", "pay-1", NOW - 3000));
    await post(wf.started("e4", "pay-2", NOW - 2000), "json");
    await post(wf.started("e5", "ord-1", NOW - 1000, { name: "OrderWorkflow" }));

    const failed = await get<ListBody>("/api/instances?status=failed&name=PaymentWorkflow&since=1h");
    expect(failed.body.total).toBe(1);
    expect(failed.body.instances[0]).toMatchObject({
      app: "orders",
      namespace: "default",
      instanceId: "pay-1",
      name: "PaymentWorkflow",
      status: "FAILED",
      createdAt: new Date(NOW - 5000).toISOString(),
      completedAt: new Date(NOW - 3000).toISOString(),
      parentInstanceId: null,
      failure: { errorType: "CardDeclined", errorMessage: "card declined", stackTrace: "at Pay()\nat Run()" },
      eventCount: 3,
    });
    const all = await get<ListBody>("/api/instances");
    expect(all.body.instances.map((i) => i.instanceId)).toEqual(["ord-1", "pay-2", "pay-1"]);

    const detail = await get<{ instance: Record<string, unknown> }>("/api/instances/orders/pay-1");
    expect(detail.body.instance).toMatchObject({ status: "FAILED", input: '{"amount":5}', parent: null, children: [] });
    const history = await get<{ events: Array<{ seq: number; id: string; type: string; summary: string }> }>(
      "/api/instances/orders/pay-1/history",
    );
    expect(history.body.events.map((e) => [e.seq, e.id, e.type])).toEqual([
      [1, "e1", "io.dapr.workflows.started"],
      [2, "e2", "io.dapr.workflows.activity.failed"],
      [3, "e3", "io.dapr.workflows.failed"],
    ]);
    expect(history.body.events[2]?.summary).toBe("failed: CardDeclined: card declined");
    expect((await get<{ error: string }>("/api/instances/orders/nope")).status).toBe(404);
    expect((await get<{ error: string }>("/api/instances/orders/nope/history")).status).toBe(404);
  });

  it("takes daprd's bulk deliveries: base64 raw messages and CloudEvent objects, a status per entry", async () => {
    const raw = Buffer.from(cloudEvent(wf.started("b1", "bulk-1", NOW - 2000))).toString("base64");
    const structured = JSON.parse(
      Buffer.from(cloudEvent(wf.completed("b2", "bulk-1", NOW - 1000), "json")).toString(),
    ) as Record<string, unknown>;
    const response = await fetch(`${url}/events`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        id: "bulk-request",
        type: "com.dapr.event.sent.bulk",
        topic: "dapr-events",
        pubsubname: "pubsub",
        metadata: {},
        entries: [
          { entryId: "e-1", event: raw, contentType: "application/octet-stream", metadata: {} },
          { entryId: "e-2", event: structured, contentType: "application/cloudevents+json", metadata: {} },
          { entryId: "e-3", event: "bm90IGFuIGV2ZW50", contentType: "application/octet-stream", metadata: {} },
        ],
      }),
    });
    expect(await response.json()).toEqual({
      statuses: [
        { entryId: "e-1", status: "SUCCESS" },
        { entryId: "e-2", status: "SUCCESS" },
        { entryId: "e-3", status: "DROP" },
      ],
    });
    const detail = await get<{ instance: { status: string; eventCount: number } }>("/api/instances/orders/bulk-1");
    expect(detail.body.instance).toMatchObject({ status: "COMPLETED", eventCount: 2 });
  });

  it("pages newest first with an opaque cursor", async () => {
    for (let i = 0; i < 7; i++) await post(wf.started(`s${i}`, `wf-${i}`, NOW - 10_000 + i));
    const seen: string[] = [];
    let cursor: string | null = "";
    let pages = 0;
    while (cursor !== null) {
      const query: string = cursor === "" ? "" : `&cursor=${cursor}`;
      const page: { body: ListBody } = await get<ListBody>(`/api/instances?limit=3${query}`);
      expect(page.body.total).toBe(7);
      seen.push(...page.body.instances.map((i) => i.instanceId));
      cursor = page.body.nextCursor;
      pages++;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(["wf-6", "wf-5", "wf-4", "wf-3", "wf-2", "wf-1", "wf-0"]);
  });

  it("rejects bad parameters with a message naming them", async () => {
    expect(await get("/api/instances?status=DONE")).toMatchObject({
      status: 400,
      body: { error: /^status: expected one of/ },
    });
    expect(await get("/api/instances?limit=0")).toMatchObject({ status: 400, body: { error: /^limit:/ } });
    expect(await get("/api/instances?since=yesterday")).toMatchObject({ status: 400, body: { error: /^since:/ } });
    expect(await get("/api/instances?cursor=xyz")).toMatchObject({ status: 400, body: { error: /^cursor:/ } });
  });

  it("counts a redelivered event once and drops a body that is not from the bridge", async () => {
    await post(wf.started("d1", "dup-1", NOW - 100));
    await post(wf.started("d1", "dup-1", NOW - 100), "json");
    const answer = await fetch(`${url}/events`, { method: "POST", body: '{"hello":"world"}' });
    expect(await answer.json()).toEqual({ status: "DROP" });
    const list = await get<ListBody>("/api/instances");
    expect(list.body.instances[0]?.eventCount).toBe(1);
    const metrics = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    expect(metrics.get("dapr_monitor_events_ingested_total")).toBe(1);
    expect(metrics.get("dapr_monitor_events_duplicate_total")).toBe(1);
    expect(metrics.get('dapr_monitor_deliveries_dropped_total{reason="undecodable"}')).toBe(1);
  });

  it("aggregates workflows and actors", async () => {
    await post(wf.started("a1", "p1", NOW - 60_000));
    await post(wf.completed("a2", "p1", NOW - 30_000));
    await post(wf.started("a3", "p2", NOW - 20_000));
    await post(wf.failed("a4", "p2", NOW - 10_000));
    await post(wf.activityFailed("a5", "p2", NOW - 15_000));
    await post(wf.started("a6", "p3", NOW - 5_000));
    await post(actorEvent("x1", "activated", "Cart", NOW - 1000));
    await post(actorEvent("x2", "invoked", "Cart", NOW - 900));
    await post(actorEvent("x3", "invoked", "Cart", NOW - 800));
    await post(actorEvent("x4", "reminder_triggered", "Cart", NOW - 700));
    await post(actorEvent("x5", "timer_triggered", "Cart", NOW - 600));
    const { body } = await get<{ since: string; workflows: Array<Record<string, unknown>>; actors: unknown[] }>(
      "/api/aggregates?since=1h",
    );
    expect(body.since).toMatch(/^\d{4}-/);
    expect(body.workflows).toEqual([
      expect.objectContaining({
        app: "orders",
        name: "PaymentWorkflow",
        byStatus: { COMPLETED: 1, FAILED: 1, RUNNING: 1 },
        started: 3,
        completed: 1,
        failed: 1,
        activityFailures: 1,
        startedPerMin: 0.05,
      }),
    ]);
    const duration = body.workflows[0]?.["durationMs"] as { p50: number; p99: number };
    // Durations 30 s and 10 s, in buckets 10% wide.
    expect(duration.p50).toBeGreaterThan(9_000);
    expect(duration.p50).toBeLessThan(11_000);
    expect(duration.p99).toBeGreaterThan(27_000);
    expect(duration.p99).toBeLessThan(33_000);
    expect(body.actors).toEqual([
      { app: "orders", actorType: "Cart", activations: 1, invocations: 2, reminders: 1, timers: 1 },
    ]);
    const metrics = parsePrometheusText(await (await fetch(`${url}/metrics`)).text());
    expect(metrics.get('dapr_monitor_workflows_failed_total{app="orders",name="PaymentWorkflow"}')).toBe(1);
    expect(metrics.get('dapr_monitor_workflow_instances{app="orders",name="PaymentWorkflow",status="RUNNING"}')).toBe(
      1,
    );
  });

  it("streams changes as server-sent events", async () => {
    const controller = new AbortController();
    const response = await fetch(`${url}/api/stream`, { signal: controller.signal });
    expect(response.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    const change = (async () => {
      while (!text.includes("event: change")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString("utf8");
      }
      while (!text.slice(text.indexOf("event: change")).includes("\n\n")) {
        const { value, done } = await reader.read();
        if (done) break;
        text += Buffer.from(value).toString("utf8");
      }
    })();
    await post(wf.started("sse1", "live-1", NOW));
    await change;
    controller.abort();
    const data = /event: change\ndata: (.*)\n/.exec(text)?.[1] ?? "{}";
    expect(JSON.parse(data)).toEqual({
      instances: [{ app: "orders", instanceId: "live-1", status: "RUNNING" }],
      ingested: 1,
    });
  });

  it("serves a plain page when the UI folder is missing, and the UI files when present", async () => {
    const missing = await fetch(`${url}/`);
    expect(await missing.text()).toMatch(/The web UI is not installed/);
    const dir = mkdtempSync(path.join(tmpdir(), "monitor-ui-"));
    writeFileSync(path.join(dir, "index.html"), "<h1>ui</h1>");
    writeFileSync(path.join(dir, "app.js"), "console.log(1)");
    writeFileSync(path.join(dir, "app.css"), "body{}");
    const other = new Monitor({ listen: "127.0.0.1:0", db: ":memory:", uiDir: dir });
    try {
      const base = (await other.start()).url;
      expect(await (await fetch(`${base}/`)).text()).toBe("<h1>ui</h1>");
      const js = await fetch(`${base}/app.js`);
      expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
      expect((await fetch(`${base}/app.css`)).headers.get("content-type")).toMatch(/^text\/css/);
    } finally {
      await other.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses Dapr's routes without the app API token when one is configured", async () => {
    const guarded = new Monitor({ listen: "127.0.0.1:0", db: ":memory:", appApiToken: "s3cret" });
    try {
      const base = (await guarded.start()).url;
      const body = daprBody(wf.started("t1", "tok-1", NOW));
      expect((await fetch(`${base}/events`, { method: "POST", body })).status).toBe(401);
      expect((await fetch(`${base}/dapr/subscribe`)).status).toBe(401);
      const ok = await fetch(`${base}/events`, { method: "POST", body, headers: { "dapr-api-token": "s3cret" } });
      expect(await ok.json()).toEqual({ status: "SUCCESS" });
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      await guarded.close();
    }
  });
});
