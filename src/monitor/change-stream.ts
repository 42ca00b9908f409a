import type { ServerResponse } from "node:http";
import type { InstanceRef } from "./facts.js";
import type { InstanceStatus } from "./status.js";
import type { IngestResult } from "./store.js";

/** How often an idle stream gets a keep-alive comment, ms. */
const KEEP_ALIVE_MS = 15_000;

type Change = InstanceRef & { readonly status: InstanceStatus };

/**
 * `GET /api/stream`: server-sent events. Commits are collected and sent as one `change` event
 * (`{"instances":[{app,instanceId,status}],"ingested":n}`) at most every `intervalMs`; idle
 * streams get a `: keep-alive` comment so proxies keep them open.
 */
export class ChangeStream {
  readonly #intervalMs: number;
  readonly #clients = new Set<ServerResponse>();
  #changes = new Map<string, Change>();
  #ingested = 0;
  #timer: NodeJS.Timeout | undefined;
  #lastSentMs = 0;
  readonly #keepAlive: NodeJS.Timeout;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
    this.#keepAlive = setInterval(() => this.#write(": keep-alive\n\n"), KEEP_ALIVE_MS);
    this.#keepAlive.unref();
  }

  /** Clients connected now. */
  get clients(): number {
    return this.#clients.size;
  }

  /** Takes over a response as an event stream until the client goes away or {@link close}. */
  attach(response: ServerResponse): void {
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
    });
    response.write(": connected\n\n");
    this.#clients.add(response);
    response.once("close", () => this.#clients.delete(response));
  }

  /** Records a commit; sends it with the others of the interval. */
  record(result: IngestResult): void {
    if (result.ingested === 0) return;
    this.#ingested += result.ingested;
    for (const change of result.changed) this.#changes.set(`${change.app}\u0000${change.instanceId}`, change);
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastSentMs + this.#intervalMs - Date.now());
    this.#timer = setTimeout(() => this.#flush(), wait);
  }

  #flush(): void {
    this.#timer = undefined;
    this.#lastSentMs = Date.now();
    const data = JSON.stringify({ instances: [...this.#changes.values()], ingested: this.#ingested });
    this.#changes = new Map();
    this.#ingested = 0;
    this.#write(`event: change\ndata: ${data}\n\n`);
  }

  #write(text: string): void {
    for (const client of this.#clients) client.write(text);
  }

  /** Ends every stream and stops the timers. */
  close(): void {
    clearInterval(this.#keepAlive);
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    for (const client of this.#clients) client.end();
    this.#clients.clear();
  }
}
