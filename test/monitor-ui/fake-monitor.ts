import { readFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

/** One instance as the list answers it, with its history beside it. */
export interface FakeInstance {
  readonly app: string;
  readonly namespace: string;
  readonly instanceId: string;
  readonly name: string;
  readonly status: string;
  readonly createdAt: string;
  readonly lastUpdatedAt: string;
  readonly completedAt: string | null;
  readonly parentInstanceId: string | null;
  readonly failure: { errorType: string; errorMessage: string; stackTrace: string } | null;
  readonly history: readonly { type: string; time: string; summary: string; data: unknown }[];
}

/** A stand-in for the monitor's HTTP API over instances held in memory, serving the real UI files. */
export interface FakeMonitor {
  readonly url: string;
  /** Adds or replaces an instance and tells the stream's listeners. */
  put(instance: FakeInstance): void;
  close(): Promise<void>;
}

const UI_DIR = path.join(import.meta.dirname, "..", "..", "monitor-ui");
const STATIC: Readonly<Record<string, readonly [string, string]>> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/app.css": ["app.css", "text/css; charset=utf-8"],
};

/** Starts the fake monitor on a free loopback port. */
export async function startFakeMonitor(initial: readonly FakeInstance[]): Promise<FakeMonitor> {
  const instances = new Map<string, FakeInstance>();
  for (const instance of initial) instances.set(`${instance.app}/${instance.instanceId}`, instance);
  const streams = new Set<ServerResponse>();

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? "/", "http://monitor");
    const file = STATIC[url.pathname];
    if (file !== undefined) {
      response.writeHead(200, { "content-type": file[1] });
      response.end(await readFile(path.join(UI_DIR, file[0])));
      return;
    }
    if (url.pathname === "/api/stream") {
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      response.write(": connected\n\n");
      streams.add(response);
      request.on("close", () => streams.delete(response));
      return;
    }
    const sorted = [...instances.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    if (url.pathname === "/api/instances") {
      json(response, 200, list(sorted, url.searchParams));
      return;
    }
    if (url.pathname === "/api/aggregates") {
      json(response, 200, aggregates(sorted));
      return;
    }
    const match = /^\/api\/instances\/([^/]+)\/([^/]+)(\/history)?$/.exec(url.pathname);
    const found = match && instances.get(`${decodeURIComponent(match[1] ?? "")}/${decodeURIComponent(match[2] ?? "")}`);
    if (!found) {
      json(response, 404, { error: `no such instance or path: ${url.pathname}` });
      return;
    }
    if (match[3] !== undefined) {
      const events = found.history.map((event, seq) => ({ seq, id: `e${seq}`, source: "/fake", ...event }));
      json(response, 200, { events });
      return;
    }
    const children = sorted
      .filter((child) => child.parentInstanceId === found.instanceId)
      .map(({ app, instanceId, name, status }) => ({ app, instanceId, name, status }));
    const parent = found.parentInstanceId === null ? null : { app: found.app, instanceId: found.parentInstanceId };
    json(response, 200, { instance: { ...view(found), input: '{"orderId":42}', output: null, parent, children } });
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => json(response, 500, { error: String(error) }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    put: (instance) => {
      instances.set(`${instance.app}/${instance.instanceId}`, instance);
      const change = { instances: [{ app: instance.app, instanceId: instance.instanceId, status: instance.status }] };
      for (const stream of streams)
        stream.write(`event: change\ndata: ${JSON.stringify({ ...change, ingested: 1 })}\n\n`);
    },
    close: async () => {
      for (const stream of streams) stream.end();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { "content-type": "application/json" });
  response.end(JSON.stringify(body));
}

function view(instance: FakeInstance): Omit<FakeInstance, "history"> & { eventCount: number } {
  const { history, ...rest } = instance;
  return { ...rest, eventCount: history.length };
}

/** The list: filters, then a page after the cursor (here simply an offset). */
function list(sorted: readonly FakeInstance[], query: URLSearchParams): unknown {
  const matching = sorted.filter(
    (instance) =>
      (query.get("status") ?? instance.status) === instance.status &&
      (query.get("name") ?? instance.name) === instance.name &&
      (query.get("app") ?? instance.app) === instance.app,
  );
  const limit = Number(query.get("limit") ?? 50);
  const offset = Number(query.get("cursor") ?? 0);
  const page = matching.slice(offset, offset + limit);
  const nextCursor = offset + limit < matching.length ? String(offset + limit) : null;
  return { instances: page.map(view), nextCursor, total: matching.length };
}

function aggregates(sorted: readonly FakeInstance[]): unknown {
  const workflows = new Map<string, { app: string; name: string; byStatus: Record<string, number> }>();
  for (const instance of sorted) {
    const key = `${instance.app}/${instance.name}`;
    const entry = workflows.get(key) ?? { app: instance.app, name: instance.name, byStatus: {} };
    entry.byStatus[instance.status] = (entry.byStatus[instance.status] ?? 0) + 1;
    workflows.set(key, entry);
  }
  return {
    since: new Date(Date.now() - 3_600_000).toISOString(),
    workflows: [...workflows.values()].map((workflow) => {
      const all = Object.values(workflow.byStatus).reduce((a, b) => a + b, 0);
      const completed = workflow.byStatus["COMPLETED"] ?? 0;
      const failed = workflow.byStatus["FAILED"] ?? 0;
      return {
        ...workflow,
        started: all,
        completed,
        failed,
        startedPerMin: all / 60,
        completedPerMin: completed / 60,
        failedPerMin: failed / 60,
        durationMs: { p50: 1200, p90: 3400, p99: 5100 },
        activityFailures: failed,
      };
    }),
    actors: [{ app: "orders", actorType: "CartActor", activations: 3, invocations: 12, reminders: 1, timers: 2 }],
  };
}
