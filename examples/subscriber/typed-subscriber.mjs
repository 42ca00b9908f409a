// @ts-check
// Example subscriber built on the bridge's consumer helper (docs/example-subscriber.md).
//
// A plain Node HTTP app that Dapr delivers the bridge's CloudEvents to. It decodes every
// delivery with `decodeDelivery` from `dapr-event-bridge/consumer`, whatever shape it came in:
// - the Dapr envelope of a raw subscription (`data_base64` holding the protobuf CloudEvent),
// - a structured JSON CloudEvent (the bridge's `json` format),
// - raw protobuf CloudEvent bytes (`application/octet-stream`, e.g. forwarded from Kafka).
// Failed workflows (`io.dapr.workflows.failed`) raise an alert; every event counts on a dashboard.
//
// Run it (after `npm run build`):  APP_PORT=3000 node examples/subscriber/typed-subscriber.mjs
//   POST /events, /alerts, /deadletters  deliveries (see components/subscription-*.yaml)
//   GET  /dashboard                       counts by CloudEvent type, and the recent alerts
//   GET  /dapr/subscribe                  [] (the subscriptions are declarative)
import { createServer } from "node:http";
import { pathToFileURL } from "node:url";
// The package's own name resolves here through package.json "exports" (a self-reference);
// outside this repository, install `dapr-event-bridge` and keep the same import.
import { decodeDelivery, isUndecodable, isWorkflowEvent } from "dapr-event-bridge/consumer";

/** @typedef {import("dapr-event-bridge/consumer").Delivery} Delivery */
/** @typedef {import("dapr-event-bridge/consumer").WorkflowDelivery} WorkflowDelivery */

/**
 * An alert for one failed workflow.
 * @typedef {{ id: string, source: string, instanceId: string, workflow: string, error: string }} Alert
 */

/**
 * Options of {@link createHandler}.
 * @typedef {object} SubscriberOptions
 * @property {(alert: Alert) => void | Promise<void>} [onAlert] Called once per failed workflow. Default: a JSON line on stdout.
 * @property {(delivery: Delivery) => void} [onDelivery] Called with every decoded delivery (after de-duplication).
 * @property {(problem: Record<string, unknown>) => void} [onProblem] Called with each problem met (a body that is not from the bridge, a failed alert, an undecodable dead letter), as a JSON-able object. Default: a JSON line on stderr.
 * @property {number} [dedupWindow] How many recent `source` + `id` pairs to remember for de-duplication. Default 10000.
 */

const PATHS = new Set(["/events", "/alerts", "/deadletters"]);
const LARGEST_BODY = 4 * 1024 * 1024;

/**
 * The failure of a failed workflow: Dapr's `execution_failed`, or an `execution_completed`
 * whose status is FAILED.
 * @param {WorkflowDelivery} delivery
 * @returns {Alert}
 */
export function alertOf(delivery) {
  const event = delivery.event;
  const details =
    event.executionFailed?.failureDetails ?? event.executionCompleted?.failureDetails ?? event.metadata?.failureDetails;
  return {
    id: delivery.id,
    source: delivery.source,
    instanceId: delivery.subject ?? event.metadata?.instanceId ?? "",
    workflow: event.metadata?.name ?? "",
    error: [details?.errorType, details?.errorMessage].filter((s) => s !== undefined && s !== "").join(": "),
  };
}

/**
 * The subscriber's request handler and its state: mount `handler` on any Node HTTP server.
 * @param {SubscriberOptions} [options]
 */
export function createHandler(options = {}) {
  const onAlert = options.onAlert ?? ((alert) => console.log(JSON.stringify({ alert })));
  const onProblem = options.onProblem ?? ((problem) => console.error(JSON.stringify(problem)));
  const dedupWindow = options.dedupWindow ?? 10_000;
  /** @type {Map<string, number>} */
  const counts = new Map();
  /** @type {Alert[]} */
  const alerts = [];
  // Insertion-ordered: the oldest pair is the first key. Retries can repeat an event (docs/contract.md §5).
  /** @type {Set<string>} */
  const seen = new Set();

  /**
   * Handles one delivery; returns Dapr's answer.
   * @param {Uint8Array} body
   * @returns {Promise<{ status: "SUCCESS" | "RETRY" | "DROP" }>}
   */
  async function deliver(body) {
    /** @type {Delivery} */
    let delivery;
    try {
      delivery = decodeDelivery(body);
    } catch (error) {
      // Not something the bridge sent: retrying cannot help, so let Dapr dead-letter it.
      onProblem({ error: String(error) });
      return { status: "DROP" };
    }
    const key = `${delivery.source}\u0000${delivery.id}`;
    if (seen.has(key)) return { status: "SUCCESS" };
    if (delivery.type === "io.dapr.workflows.failed" && isWorkflowEvent(delivery)) {
      const alert = alertOf(delivery);
      try {
        await onAlert(alert);
      } catch (error) {
        onProblem({ error: `alert failed: ${String(error)}`, id: delivery.id });
        return { status: "RETRY" };
      }
      alerts.push(alert);
      if (alerts.length > 100) alerts.shift();
    } else if (isUndecodable(delivery)) {
      onProblem({
        undecodable: delivery.id,
        bytes: delivery.data.length,
        reason: delivery.extensions["deadletterreason"],
      });
    }
    seen.add(key);
    if (seen.size > dedupWindow) seen.delete(/** @type {string} */ (seen.values().next().value));
    counts.set(delivery.type, (counts.get(delivery.type) ?? 0) + 1);
    options.onDelivery?.(delivery);
    return { status: "SUCCESS" };
  }

  /**
   * @param {import("node:http").IncomingMessage} req
   * @param {import("node:http").ServerResponse} res
   */
  async function handler(req, res) {
    /** @param {number} status @param {unknown} body */
    const reply = (status, body) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    if (req.method === "GET" && path === "/dapr/subscribe") return reply(200, []);
    if (req.method === "GET" && path === "/dashboard") return reply(200, dashboard());
    if (req.method !== "POST" || !PATHS.has(path)) return reply(404, { error: `no route ${req.method} ${path}` });
    /** @type {Buffer[]} */
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > LARGEST_BODY) return reply(413, { error: `body larger than ${LARGEST_BODY} bytes` });
      chunks.push(chunk);
    }
    // The body goes in as bytes whatever the content type: decodeDelivery tells JSON
    // (application/cloudevents+json, application/json) from protobuf bytes (application/octet-stream).
    reply(200, await deliver(Buffer.concat(chunks)));
  }

  function dashboard() {
    return { counts: Object.fromEntries([...counts].sort(([a], [b]) => a.localeCompare(b))), alerts: [...alerts] };
  }

  return {
    /** @type {(req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => void} */
    handler: (req, res) => {
      handler(req, res).catch((error) => {
        onProblem({ error: String(error) });
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ status: "RETRY" }));
        } else res.destroy();
      });
    },
    dashboard,
  };
}

/**
 * Starts the subscriber on `port` (0 picks a free one) and resolves with the bound port.
 * @param {{ port?: number, host?: string } & SubscriberOptions} [options]
 * @returns {Promise<{ port: number, close: () => Promise<void> }>}
 */
export async function startSubscriber(options = {}) {
  const { handler } = createHandler(options);
  const server = createServer(handler);
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 3000, options.host ?? "0.0.0.0", () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    port,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { port, close } = await startSubscriber({ port: Number(process.env.APP_PORT ?? "3000") });
  console.log(JSON.stringify({ listening: port }));
  for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => void close().then(() => process.exit(0)));
}
