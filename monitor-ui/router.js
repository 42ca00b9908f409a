// Hash routing: which view a `#/...` address shows, and putting that view on screen.
//
// A view is a function (route, signal, go) → { element, load(), refresh(changes) }. `signal` is
// aborted when the page is left; `go(href, state)` navigates in the page. load() fills the element;
// refresh() redraws from fresh data in place, keeping what the person opened or typed. `changes`
// lists the instances the stream named, or is null when they are unknown (the stream reconnected and
// may have missed some).

import { h } from "./dom.js";
import { clearError, showError } from "./page-error.js";

/** Splits a location hash into the route's name, path, query and decoded path segments. */
export function parseRoute(hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const mark = raw.indexOf("?");
  const path = mark === -1 ? raw : raw.slice(0, mark);
  const params = new URLSearchParams(mark === -1 ? "" : raw.slice(mark + 1));
  let segments;
  try {
    segments = path
      .split("/")
      .filter((segment) => segment !== "")
      .map(decodeURIComponent);
  } catch {
    return { name: "notFound", path, params, segments: [] };
  }
  const [head, ...rest] = segments;
  if (head === undefined) return { name: "overview", path, params, segments: rest };
  if (head === "instances" && rest.length === 0) return { name: "instances", path, params, segments: rest };
  if (head === "instance" && rest.length === 2) return { name: "instance", path, params, segments: rest };
  return { name: "notFound", path, params, segments: rest };
}

/**
 * A router over `views` (one per route name: overview, instances, instance, notFound).
 * `render()` shows the view of the current location; `screen()` is what is on screen, as
 * { route, controller, view, refreshing }, or undefined before the first render.
 */
export function createRouter(views) {
  /** What is on screen: the route's view and the controller that cancels its requests. */
  let current;
  let first = true;

  /** Navigates in the page: a new history entry carrying `state`, then the view. */
  const go = (href, state) => {
    history.pushState(state ?? null, "", href);
    void render();
  };

  const render = async () => {
    current?.controller.abort();
    const route = parseRoute(location.hash);
    const controller = new AbortController();
    const view = views[route.name](route, controller.signal, go);
    current = { route, controller, view, refreshing: undefined };
    clearError();
    markNavigation(route);
    const main = document.getElementById("main");
    main.replaceChildren(view.element);
    main.setAttribute("aria-busy", "true");
    // After an in-page navigation, put focus on the new page's heading, as a page load would.
    if (!first) view.element.querySelector("h1")?.focus({ preventScroll: true });
    first = false;
    document.title = `${view.element.querySelector("h1")?.textContent ?? "Monitor"} · Dapr workflow monitor`;
    try {
      await view.load();
    } catch (error) {
      if (current?.view === view) {
        showError(`Could not load ${describe(route)}:`, error);
        for (const placeholder of view.element.querySelectorAll("[data-loading]")) {
          placeholder.replaceWith(h("span", { class: "muted" }, "Not available."));
        }
      }
    } finally {
      if (current?.view === view) main.setAttribute("aria-busy", "false");
    }
  };

  return { render, screen: () => current };
}

/** Marks the main navigation's link to the route as the current page. */
function markNavigation(route) {
  const failedLastHour =
    route.name === "instances" && route.params.get("status") === "FAILED" && route.params.get("since") === "1h";
  for (const link of document.querySelectorAll("nav a[data-nav]")) {
    const here =
      (link.dataset.nav === "overview" && route.name === "overview") ||
      (link.dataset.nav === "instances" && route.name === "instances" && !failedLastHour) ||
      (link.dataset.nav === "failed" && failedLastHour);
    if (here) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function describe(route) {
  if (route.name === "overview") return "the overview";
  if (route.name === "instances") return "the instances";
  return `instance ${route.segments[1] ?? ""}`;
}
