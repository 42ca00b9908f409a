import type { CloudEventRecord, EventFormat } from "../cloudevents/record.js";
import type { BridgeConfig } from "../config/bridge-config.js";
import { compileFilter, type RecordPredicate } from "./filter.js";

/** The route an event takes: publish it to a pubsub topic in a format. */
export interface PublishDecision {
  readonly kind: "publish";
  readonly pubsub: string;
  readonly topic: string;
  readonly format: EventFormat;
  /** The matching route's name, or `default`. */
  readonly routeName: string;
}

/** The route an event takes: drop it (counted by the caller, never silent). */
export interface DropDecision {
  readonly kind: "drop";
  readonly routeName: string;
}

/** Where one event goes. Decisions are shared, frozen objects: compare them, never mutate them. */
export type RouteDecision = PublishDecision | DropDecision;

/** The name of the route taken when no configured route matches. */
export const DEFAULT_ROUTE_NAME = "default";

interface CompiledRoute {
  readonly matches: RecordPredicate;
  readonly decision: RouteDecision;
}

const matchAll: RecordPredicate = () => true;

/**
 * Decides each event's route from `config.routes`, compiled once: the first route whose filter
 * matches wins (a route without a filter matches everything); when none matches, the default route
 * publishes to the config's `pubsub` / `topic` in its `format`. Unset route targets default to those
 * too. `route()` allocates nothing: each route's decision is built once, here.
 */
export class Router {
  readonly #routes: readonly CompiledRoute[];
  readonly #fallback: PublishDecision;

  /**
   * @throws BridgeError InvalidConfig naming the route (index and name) of a malformed filter.
   */
  constructor(config: Pick<BridgeConfig, "routes" | "pubsub" | "topic" | "format">) {
    this.#fallback = Object.freeze({
      kind: "publish",
      pubsub: config.pubsub,
      topic: config.topic,
      format: config.format,
      routeName: DEFAULT_ROUTE_NAME,
    });
    this.#routes = config.routes.map((route, index) => {
      const routeName = route.name ?? `route-${index}`;
      const matches =
        route.filter === undefined ? matchAll : compileFilter(route.filter, `routes[${index}] "${routeName}" filter`);
      const decision: RouteDecision =
        route.drop === true
          ? { kind: "drop", routeName }
          : {
              kind: "publish",
              pubsub: route.pubsub ?? config.pubsub,
              topic: route.topic ?? config.topic,
              format: route.format ?? config.format,
              routeName,
            };
      return { matches, decision: Object.freeze(decision) };
    });
  }

  /** The names of the routes in order, then `default`: the label values of per-route metrics. */
  get routeNames(): readonly string[] {
    return [...this.#routes.map((r) => r.decision.routeName), DEFAULT_ROUTE_NAME];
  }

  /** The decision for one event: the first matching route's, else the default route's. */
  route(record: CloudEventRecord): RouteDecision {
    const routes = this.#routes;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[i];
      if (route !== undefined && route.matches(record)) return route.decision;
    }
    return this.#fallback;
  }
}
