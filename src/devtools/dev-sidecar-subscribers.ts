import { randomUUID } from "node:crypto";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { delay } from "./dev-sidecar-faults.js";
import type { ReceivedEvent } from "./dev-sidecar-store.js";

/** One programmatic subscription an app declared on `GET /dapr/subscribe`. */
export interface AppSubscription {
  readonly pubsub: string;
  readonly topic: string;
  /** The default route (`route`, or `routes.default`). */
  readonly route: string;
  readonly rawPayload: boolean;
}

/** Counters of a {@link SubscriberDelivery}. */
export interface SubscriberStats {
  /** Deliveries the app answered SUCCESS (or 2xx without a status). */
  readonly delivered: number;
  /** Attempts answered RETRY, an error status or not at all (each is tried again). */
  readonly retries: number;
  /** Deliveries the app answered DROP or 404: not tried again, as daprd does without a dead-letter topic. */
  readonly dropped: number;
  /** Messages a non-raw subscription cannot read (not a JSON CloudEvent): daprd cannot either. */
  readonly undeliverable: number;
}

/** Options of a {@link SubscriberDelivery}. */
export interface SubscriberDeliveryOptions {
  /** The app's base URL, as daprd's `--app-port` names it: `http://127.0.0.1:PORT`. */
  readonly appUrl: string;
  /** Sent as `dapr-api-token` on every call to the app (daprd's `APP_API_TOKEN`). */
  readonly appApiToken?: string;
  /** First retry delay, ms; doubles up to 2 s. @default 100 */
  readonly retryDelayMs?: number;
}

interface Job {
  readonly subscription: AppSubscription;
  readonly event: ReceivedEvent;
}

/** Go's encoding/json marshals a map with its keys sorted: the raw envelope is written the same way. */
function sortedJson(fields: Readonly<Record<string, string>>): string {
  return `{${Object.keys(fields)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${JSON.stringify(fields[key])}`)
    .join(",")}}`;
}

/**
 * The body daprd posts to an HTTP app for a message (dapr/dapr `pkg/runtime/subscription`):
 *
 * - raw subscription: a CloudEvent daprd makes (components-contrib `pubsub.FromRawPayload`): a
 *   random `id`, `source` `Dapr`, `type` `com.dapr.event.sent`, `datacontenttype`
 *   `application/octet-stream`, `topic`, `pubsubname`, the message in `data_base64`, and the
 *   message's `traceid`/`traceparent`/`tracestate` metadata;
 * - otherwise: the message as the broker holds it, which must be a JSON CloudEvent (daprd
 *   unmarshals it to route it, and posts the original bytes). Undefined when it is not JSON.
 */
export function subscriberBody(subscription: AppSubscription, event: ReceivedEvent): Buffer | undefined {
  if (subscription.rawPayload) {
    const fields: Record<string, string> = {
      id: randomUUID(),
      specversion: "1.0",
      datacontenttype: "application/octet-stream",
      source: "Dapr",
      type: "com.dapr.event.sent",
      topic: event.topic,
      pubsubname: event.pubsub,
      data_base64: event.data.toString("base64"),
    };
    const { traceid, traceparent, tracestate } = event.metadata;
    if (traceid !== undefined) fields["traceid"] = traceid;
    if (traceparent !== undefined) {
      fields["traceparent"] = traceparent;
      fields["traceid"] = traceparent;
    }
    if (tracestate !== undefined) fields["tracestate"] = tracestate;
    return Buffer.from(sortedJson(fields));
  }
  try {
    const parsed: unknown = JSON.parse(event.data.toString("utf8"));
    return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? event.data : undefined;
  } catch {
    return undefined;
  }
}

function subscriptionsOf(body: unknown): AppSubscription[] {
  if (!Array.isArray(body)) throw new Error("GET /dapr/subscribe did not answer a JSON array");
  return body.map((item: unknown) => {
    const entry = (typeof item === "object" && item !== null ? item : {}) as Record<string, unknown>;
    const routes = (entry["routes"] ?? {}) as Record<string, unknown>;
    const metadata = (entry["metadata"] ?? {}) as Record<string, unknown>;
    const route = typeof entry["route"] === "string" ? entry["route"] : routes["default"];
    if (typeof entry["pubsubname"] !== "string" || typeof entry["topic"] !== "string" || typeof route !== "string") {
      throw new Error(`a subscription lacks pubsubname, topic or a default route: ${JSON.stringify(item)}`);
    }
    const raw = metadata["rawPayload"];
    return {
      pubsub: entry["pubsubname"],
      topic: entry["topic"],
      route: route.startsWith("/") ? route : `/${route}`,
      rawPayload: raw === true || raw === "true",
    };
  });
}

/**
 * The dev sidecar's delivery to a subscriber app, as daprd does it over HTTP: it reads the app's
 * programmatic subscriptions (`GET /dapr/subscribe`), then POSTs each message of a subscribed
 * topic to the route, one at a time in the order the sidecar stored them (like a Redis component
 * with `concurrency: 1`). The app answers `{"status":"SUCCESS"|"RETRY"|"DROP"}`: RETRY, a 5xx or
 * no answer is tried again with backoff until {@link close}; DROP and 404 are given up.
 */
export class SubscriberDelivery {
  readonly #options: SubscriberDeliveryOptions;
  readonly #closing = new AbortController();
  #subscriptions: AppSubscription[] = [];
  readonly #queue: Job[] = [];
  #worker: Promise<void> | undefined;
  #stats = { delivered: 0, retries: 0, dropped: 0, undeliverable: 0 };

  constructor(options: SubscriberDeliveryOptions) {
    this.#options = options;
  }

  /** The subscriptions the app declared. */
  get subscriptions(): readonly AppSubscription[] {
    return this.#subscriptions;
  }

  stats(): SubscriberStats {
    return { ...this.#stats };
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const token = this.#options.appApiToken;
    return { ...extra, ...(token === undefined ? {} : { "dapr-api-token": token }) };
  }

  /** Asks the app for its subscriptions (daprd does at start). */
  async load(): Promise<readonly AppSubscription[]> {
    const url = new URL("/dapr/subscribe", this.#options.appUrl);
    try {
      const response = await fetch(url, { headers: this.#headers(), signal: this.#closing.signal });
      if (response.status === 404) {
        this.#subscriptions = [];
      } else if (!response.ok) {
        throw new Error(`GET /dapr/subscribe answered ${response.status}`);
      } else {
        this.#subscriptions = subscriptionsOf(await response.json());
      }
    } catch (error) {
      throw new BridgeError(
        ErrorCode.Unavailable,
        `the dev sidecar cannot read the app's subscriptions at ${url.href}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return this.#subscriptions;
  }

  /** Queues the events for every subscription of their pubsub and topic. */
  enqueue(events: readonly ReceivedEvent[]): void {
    for (const event of events) {
      for (const subscription of this.#subscriptions) {
        if (subscription.pubsub === event.pubsub && subscription.topic === event.topic) {
          this.#queue.push({ subscription, event });
        }
      }
    }
    if (this.#queue.length > 0) this.#worker ??= this.#work();
  }

  /** Resolves once everything queued so far has been delivered or given up. */
  async idle(): Promise<void> {
    while (this.#worker !== undefined) await this.#worker;
  }

  /** Stops delivering; messages still queued are not delivered. */
  async close(): Promise<void> {
    this.#closing.abort();
    await this.#worker;
  }

  async #work(): Promise<void> {
    try {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        await this.#deliver(job);
      }
    } catch (error) {
      // Only a close ends the loop early.
      if (!(error instanceof BridgeError && error.code === ErrorCode.Aborted)) throw error;
    } finally {
      this.#worker = undefined;
    }
  }

  async #deliver({ subscription, event }: Job): Promise<void> {
    const body = subscriberBody(subscription, event);
    if (body === undefined) {
      this.#stats.undeliverable += 1;
      return;
    }
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(event.metadata)) {
      if (!/^content-(type|length)$/i.test(key) && /^[\w-]+$/.test(key)) headers[key] = value;
    }
    headers["pubsubName"] = event.pubsub;
    let wait = this.#options.retryDelayMs ?? 100;
    for (;;) {
      const outcome = await this.#post(subscription.route, body, headers);
      if (outcome === "success") return void (this.#stats.delivered += 1);
      if (outcome === "drop") return void (this.#stats.dropped += 1);
      this.#stats.retries += 1;
      await delay(wait, this.#closing.signal);
      wait = Math.min(wait * 2, 2_000);
    }
  }

  async #post(route: string, body: Buffer, metadata: Record<string, string>): Promise<"success" | "retry" | "drop"> {
    let response: Response;
    if (this.#closing.signal.aborted) throw new BridgeError(ErrorCode.Aborted, "closed");
    // A signal of its own per request: fetch leaves a listener on the signal it is given until
    // the response is collected, so one shared signal gathers thousands of them.
    const request = new AbortController();
    const abort = (): void => request.abort();
    this.#closing.signal.addEventListener("abort", abort, { once: true });
    try {
      response = await fetch(new URL(route, this.#options.appUrl), {
        method: "POST",
        headers: this.#headers({ ...metadata, "content-type": "application/cloudevents+json" }),
        body,
        signal: request.signal,
      });
    } catch (error) {
      if (this.#closing.signal.aborted) throw new BridgeError(ErrorCode.Aborted, "closed", { cause: error });
      return "retry";
    } finally {
      this.#closing.signal.removeEventListener("abort", abort);
    }
    if (response.status === 404) return "drop";
    if (response.status < 200 || response.status > 299) return "retry";
    let status: unknown;
    try {
      status = ((await response.json()) as { status?: unknown }).status;
    } catch {
      // An empty or non-JSON 2xx body is a success for daprd.
      return "success";
    }
    if (status === undefined || status === "" || status === "SUCCESS") return "success";
    if (status === "DROP") return "drop";
    return "retry";
  }
}
