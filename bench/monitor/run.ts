/**
 * `npm run bench:monitor`: the monitor's projection (docs/performance.md, "The monitor").
 *
 * 1. Ingest: daprd's bodies for the generator's realistic mix, decoded and applied to a SQLite
 *    store file in batches of 500 (what the HTTP route and its group commit do, without HTTP);
 *    and the store alone, on facts decoded beforehand.
 * 2. Queries: a store of 100k instances and 1M events; the list (filtered, paged) and the
 *    aggregates, each run many times, p50 and p99.
 *
 * Options: --ingest-events N (default 200000), --instances N (100000), --events-per-instance N (10),
 * --runs N (200), --json PATH.
 */
import { Command } from "commander";
import { mkdtempSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import { exitWith } from "../../src/cli/exit.js";
import { decodeBody } from "../../src/monitor/decode-body.js";
import { factOf, type Fact } from "../../src/monitor/facts.js";
import { Monitor } from "../../src/monitor/monitor.js";
import { openSqliteStore } from "../../src/monitor/sqlite-store.js";
import type { MonitorStore } from "../../src/monitor/store.js";
import { daprBodies, syntheticFacts } from "./fill.js";

const BATCH = 500;

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

interface IngestFigures {
  /** Decode + project + commit, events per wall-clock second. */
  readonly full: number;
  /** The same per second of this process's CPU time (user + system): less sensitive to a shared machine. */
  readonly fullPerCpuSecond: number;
  /** The store alone, on facts decoded beforehand, events per wall-clock second. */
  readonly storeOnly: number;
}

async function ingestRate(bodies: readonly Buffer[], dir: string): Promise<IngestFigures> {
  const now = Date.now();
  const decodeStore = openSqliteStore({ file: path.join(dir, "ingest-full.sqlite") });
  const cpu = process.cpuUsage();
  let started = performance.now();
  for (let i = 0; i < bodies.length; i += BATCH) {
    const facts: Fact[] = [];
    for (const body of bodies.slice(i, i + BATCH)) {
      const fact = factOf(decodeBody(body), now);
      if (fact !== undefined) facts.push(fact);
    }
    await decodeStore.ingest(facts);
  }
  const full = bodies.length / ((performance.now() - started) / 1000);
  const used = process.cpuUsage(cpu);
  const fullPerCpuSecond = bodies.length / ((used.user + used.system) / 1e6);
  await decodeStore.close();
  const facts = bodies.map((body) => factOf(decodeBody(body), now)).filter((f): f is Fact => f !== undefined);
  const store = openSqliteStore({ file: path.join(dir, "ingest-store.sqlite") });
  started = performance.now();
  for (let i = 0; i < facts.length; i += BATCH) await store.ingest(facts.slice(i, i + BATCH));
  const storeOnly = facts.length / ((performance.now() - started) / 1000);
  await store.close();
  return { full, fullPerCpuSecond, storeOnly };
}

/**
 * Through the HTTP route, as daprd delivers: `concurrency` requests in flight (node:http, keep-alive),
 * each one body (single) or `bulk` bodies as one bulk delivery. The client runs in this process too,
 * so it shares the CPU with the monitor: a floor, not a ceiling.
 */
async function httpRate(bodies: readonly Buffer[], dir: string, bulk: number, concurrency: number): Promise<number> {
  const monitor = new Monitor({ listen: "127.0.0.1:0", db: path.join(dir, `http-${bulk}.sqlite`) });
  const { port } = await monitor.start();
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const post = (body: Buffer): Promise<void> =>
    new Promise((resolve, reject) => {
      const request = httpRequest(
        { host: "127.0.0.1", port, path: "/events", method: "POST", agent, headers: { "content-length": body.length } },
        (response) => {
          response.resume();
          response.once("end", resolve);
        },
      );
      request.once("error", reject);
      request.end(body);
    });
  const requests: Buffer[] = [];
  if (bulk === 1) requests.push(...bodies);
  else {
    for (let i = 0; i < bodies.length; i += bulk) {
      const entries = bodies.slice(i, i + bulk).map((body, n) => ({
        entryId: String(n),
        event: (JSON.parse(body.toString("utf8")) as { data_base64: string }).data_base64,
        contentType: "application/octet-stream",
        metadata: {},
      }));
      requests.push(
        Buffer.from(JSON.stringify({ id: String(i), topic: "dapr-events", pubsubname: "pubsub", entries })),
      );
    }
  }
  const started = performance.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let body = requests[next++]; body !== undefined; body = requests[next++]) await post(body);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const rate = monitor.stats().ingested / ((performance.now() - started) / 1000);
  agent.destroy();
  await monitor.close();
  return rate;
}

async function fill(store: MonitorStore, instances: number, perInstance: number, endMs: number): Promise<number> {
  let batch: Fact[] = [];
  let events = 0;
  for (const facts of syntheticFacts(instances, perInstance, endMs)) {
    batch.push(...facts);
    if (batch.length >= 5000) {
      events += (await store.ingest(batch)).ingested;
      batch = [];
    }
  }
  if (batch.length > 0) events += (await store.ingest(batch)).ingested;
  return events;
}

interface QueryFigure {
  readonly query: string;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

async function timeQueries(store: MonitorStore, runs: number, nowMs: number): Promise<QueryFigure[]> {
  const firstPage = await store.listInstances({ limit: 50 });
  const cursor = firstPage.next;
  const queries: Array<[string, () => Promise<unknown>]> = [
    ["list, no filter, 50 newest", () => store.listInstances({ limit: 50 })],
    [
      "list status=FAILED name=PaymentWorkflow",
      () => store.listInstances({ status: "FAILED", name: "PaymentWorkflow", limit: 50 }),
    ],
    [
      "list status=RUNNING since=10m",
      () => store.listInstances({ status: "RUNNING", sinceMs: nowMs - 600_000, limit: 50 }),
    ],
    ["list page 2 (cursor)", () => store.listInstances(cursor === undefined ? { limit: 50 } : { limit: 50, cursor })],
    ["aggregates since=1h", () => store.aggregates(nowMs - 3_600_000, nowMs)],
    ["aggregates, everything", () => store.aggregates(undefined, nowMs)],
    [
      "instance detail + history",
      async () => {
        await store.getInstance("shop", "inst-0050000");
        await store.history("shop", "inst-0050000");
      },
    ],
  ];
  const figures: QueryFigure[] = [];
  for (const [name, query] of queries) {
    const times: number[] = [];
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      await query();
      times.push(performance.now() - started);
    }
    times.sort((a, b) => a - b);
    figures.push({ query: name, p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99) });
  }
  return figures;
}

const fixed = (n: number, digits = 1): string => n.toFixed(digits);

async function main(flags: {
  ingestEvents: string;
  instances: string;
  eventsPerInstance: string;
  runs: string;
  json?: string;
}) {
  const dir = mkdtempSync(path.join(tmpdir(), "bench-monitor-"));
  try {
    const ingestEvents = Number(flags.ingestEvents);
    const nowMs = Date.now();
    process.stdout.write(`generating ${ingestEvents} daprd bodies...\n`);
    const bodies = daprBodies(ingestEvents, nowMs - 3_600_000);
    const ingest = await ingestRate(bodies, dir);
    process.stdout.write(
      `ingest (decode + project + SQLite, batches of ${BATCH}): ${Math.round(ingest.full)} events/s ` +
        `(${Math.round(ingest.fullPerCpuSecond)} per CPU second); store only: ${Math.round(ingest.storeOnly)} events/s; ` +
        `load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores\n`,
    );
    const httpBodies = bodies.slice(0, 50_000);
    const httpSingle = await httpRate(httpBodies, dir, 1, 32);
    const httpBulk = await httpRate(httpBodies, dir, 100, 4);
    process.stdout.write(
      `through the HTTP route (client in this process): ${Math.round(httpSingle)} events/s one per request (32 in flight); ` +
        `${Math.round(httpBulk)} events/s in bulk deliveries of 100 (4 in flight)\n`,
    );
    const instances = Number(flags.instances);
    const perInstance = Number(flags.eventsPerInstance);
    const store = openSqliteStore({ file: path.join(dir, "queries.sqlite") });
    const fillStarted = performance.now();
    const stored = await fill(store, instances, perInstance, nowMs);
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    process.stdout.write(`filled ${instances} instances, ${stored} events in ${fixed(fillSeconds)} s\n`);
    const figures = await timeQueries(store, Number(flags.runs), nowMs);
    // Retention runs every minute: what a pass costs when nothing is due, and when a quarter is.
    let started = performance.now();
    await store.prune(nowMs - 2 * 3_600_000);
    const pruneIdleMs = performance.now() - started;
    started = performance.now();
    const pruned = await store.prune(nowMs - 45 * 60_000);
    const pruneMs = performance.now() - started;
    process.stdout.write(
      `retention pass: ${fixed(pruneIdleMs, 2)} ms with nothing due; ${fixed(pruneMs)} ms pruning ${pruned.instances} instances\n`,
    );
    await store.close();
    const lines = [
      `| query (${instances} instances, ${stored} events, SQLite) | p50 ms | p99 ms |`,
      "|---|---|---|",
      ...figures.map((f) => `| ${f.query} | ${fixed(f.p50Ms, 2)} | ${fixed(f.p99Ms, 2)} |`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    const slowest = Math.max(...figures.map((f) => f.p99Ms));
    process.stdout.write(
      `targets: ingest >= 20000 events/s: ${ingest.full >= 20_000 ? "met" : "NOT met"}; list and aggregate p99 <= 100 ms: ${slowest <= 100 ? "met" : "NOT met"}\n`,
    );
    if (flags.json !== undefined) {
      await writeFile(
        flags.json,
        JSON.stringify({ ingest, fill: { instances, events: stored, fillSeconds }, figures }, null, 2),
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const program = new Command("bench:monitor")
  .option("--ingest-events <n>", "events for the ingest figure", "200000")
  .option("--instances <n>", "instances in the query store", "100000")
  .option("--events-per-instance <n>", "events per instance in the query store", "10")
  .option("--runs <n>", "runs of each query", "200")
  .option("--json <path>", "also write the figures as JSON")
  .action(main);

program.parseAsync(process.argv).catch((error: unknown) => exitWith(error));
