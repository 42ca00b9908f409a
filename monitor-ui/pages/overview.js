// The overview (`#/`): instances by status, per-workflow figures and actor types over a time window.

import { getJson, latestOnly } from "../api.js";
import { h, loading, replace } from "../dom.js";
import { count, formatDuration, rateFormat } from "../format.js";
import { hrefFor } from "../links.js";
import { SINCE_PRESETS, STATUSES, timeElement, timeRangeFields } from "../widgets.js";

/** The overview's window when the route names none. */
const DEFAULT_OVERVIEW_SINCE = "1h";

/** The overview page; see the view contract in router.js. */
export function overviewView(route, signal, go) {
  // "all" stands for no bound in the route, where an empty value would mean the default window.
  const since = route.params.get("since") ?? DEFAULT_OVERVIEW_SINCE;
  // The aggregates take a window back from now, not a custom range.
  const range = timeRangeFields(since === "all" ? "" : since, "", { custom: false, label: "Window" });
  range.select.addEventListener("change", () => go(hrefFor([], { since: range.select.value || "all" })));
  const body = h("div", { testid: "overview-body" }, loading());
  const element = h(
    "section",
    { "aria-labelledby": "page-title" },
    h("h1", { id: "page-title", tabindex: "-1" }, "Overview"),
    h("form", { class: "filters", onsubmit: (event) => event.preventDefault() }, range.fields),
    body,
  );
  const load = latestOnly(async () => {
    const aggregates = await getJson("api/aggregates", { since: since === "all" ? "" : since }, signal);
    return () => replace(body, overviewContent(aggregates, since));
  });
  return { element, load, refresh: () => load() };
}

function overviewContent(aggregates, since) {
  const workflows = Array.isArray(aggregates.workflows) ? aggregates.workflows : [];
  const actors = Array.isArray(aggregates.actors) ? aggregates.actors : [];
  const windowLabel = SINCE_PRESETS.find(([value]) => value === (since === "all" ? "" : since))?.[1] ?? since;
  const totals = Object.fromEntries(STATUSES.map((status) => [status, 0]));
  for (const workflow of workflows) {
    for (const [status, n] of Object.entries(workflow.byStatus ?? {})) totals[status] = (totals[status] ?? 0) + n;
  }
  const cards = h(
    "ul",
    { class: "cards", "aria-label": "Instances by status, all workflows" },
    STATUSES.map((status) =>
      h(
        "li",
        { class: `card status-${status.toLowerCase()}` },
        h(
          "a",
          { href: hrefFor(["instances"], { status }), testid: `total-${status}`, dataset: { count: totals[status] } },
          h("span", { class: "card-count" }, count(totals[status])),
          h("span", { class: "card-label" }, status.replaceAll("_", " ").toLowerCase()),
        ),
      ),
    ),
  );
  const workflowTable =
    workflows.length === 0
      ? h("p", { class: "muted", testid: "no-workflows" }, "No workflow events yet.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { testid: "workflows" },
            h(
              "caption",
              {},
              `By current status; started, completed, failed and durations: ${windowLabel.toLowerCase()}`,
            ),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Workflow", "App", "Instances by status", "Started", "Completed", "Failed", "Duration p50", "p99"].map(
                  (label) => h("th", { scope: "col" }, label),
                ),
                h("th", { scope: "col", title: "Failed activities" }, "Activity failures"),
              ),
            ),
            h("tbody", {}, workflows.map(workflowRow)),
          ),
        );
  const actorTable =
    actors.length === 0
      ? h("p", { class: "muted", testid: "no-actors" }, "No actor events yet.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { testid: "actors" },
            h("caption", {}, `Actor events: ${windowLabel.toLowerCase()}`),
            h(
              "thead",
              {},
              h(
                "tr",
                {},
                ["Actor type", "App", "Activations", "Invocations", "Reminders", "Timers"].map((label) =>
                  h("th", { scope: "col" }, label),
                ),
              ),
            ),
            h(
              "tbody",
              {},
              actors.map((actor) =>
                h(
                  "tr",
                  { testid: "actor-row", dataset: { app: actor.app, actorType: actor.actorType } },
                  h("th", { scope: "row" }, actor.actorType),
                  h("td", { class: "nowrap" }, actor.app),
                  ["activations", "invocations", "reminders", "timers"].map((key) =>
                    h("td", { class: "num", testid: `actor-${key}` }, count(actor[key])),
                  ),
                ),
              ),
            ),
          ),
        );
  return [
    cards,
    h("h2", {}, "Workflows"),
    workflowTable,
    h("h2", {}, "Actors"),
    actorTable,
    h(
      "p",
      { class: "muted small" },
      "Window starts ",
      aggregates.since ? timeElement(aggregates.since) : "at the first event",
      ".",
    ),
  ];
}

function workflowRow(workflow) {
  const filter = { app: workflow.app, name: workflow.name };
  const chips = STATUSES.filter((status) => (workflow.byStatus?.[status] ?? 0) > 0).map((status) =>
    h(
      "a",
      {
        class: `chip status-${status.toLowerCase()}`,
        href: hrefFor(["instances"], { ...filter, status }),
        testid: `count-${status}`,
        dataset: { count: workflow.byStatus[status] },
      },
      `${status.replaceAll("_", " ").toLowerCase()} ${count(workflow.byStatus[status])}`,
    ),
  );
  const flow = (n, perMin, key) =>
    h(
      "td",
      { class: "num", testid: key },
      count(n),
      h("span", { class: "rate", title: "per minute" }, ` ${rateFormat.format(perMin ?? 0)}/min`),
    );
  return h(
    "tr",
    { testid: "workflow-row", dataset: { app: workflow.app, name: workflow.name } },
    h("th", { scope: "row" }, h("a", { href: hrefFor(["instances"], filter) }, workflow.name)),
    h("td", { class: "nowrap" }, workflow.app),
    h("td", {}, h("div", { class: "chips" }, chips.length === 0 ? h("span", { class: "muted" }, "none") : chips)),
    flow(workflow.started, workflow.startedPerMin, "started"),
    flow(workflow.completed, workflow.completedPerMin, "completed"),
    flow(workflow.failed, workflow.failedPerMin, "failed"),
    h("td", { class: "num", testid: "p50" }, formatDuration(workflow.durationMs?.p50)),
    h("td", { class: "num", testid: "p99" }, formatDuration(workflow.durationMs?.p99)),
    h("td", { class: "num", testid: "activity-failures" }, count(workflow.activityFailures)),
  );
}
