// The monitor's web UI: plain browser JavaScript, no framework, no build step, nothing fetched from
// elsewhere. Three hash routes (overview, instance list, instance page) over the monitor's JSON API on
// the same origin, kept current by the server-sent events of api/stream.
//
// Invariant: text from the API only ever reaches the page as text nodes or attribute values (see h()),
// never as HTML.

/** Instance statuses, in the order the UI lists them. */
const STATUSES = ["RUNNING", "PENDING", "SUSPENDED", "COMPLETED", "FAILED", "TERMINATED", "CONTINUED_AS_NEW"];

/** Rows per page of the instance list: the API pages by cursor, so no view ever fetches everything. */
const PAGE_SIZE = 50;

/** Live updates: at most one refresh of the visible view per this many milliseconds. */
const LIVE_REFRESH_MS = 400;

/** Timeline entries drawn at first; the rest on request, so a long history stays responsive. */
const TIMELINE_FIRST = 500;

/** Time windows offered by the filters: the API's `since` value and its label. "" is no bound. */
const SINCE_PRESETS = [
  ["15m", "Last 15 minutes"],
  ["1h", "Last hour"],
  ["6h", "Last 6 hours"],
  ["24h", "Last 24 hours"],
  ["168h", "Last 7 days"],
  ["", "Any time"],
];

/** The overview's window when the route names none. */
const DEFAULT_OVERVIEW_SINCE = "1h";

const numberFormat = new Intl.NumberFormat();
const rateFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const shortFormat = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const timeOfDayFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hour12: false,
});
const clockFormat = new Intl.DateTimeFormat(undefined, {
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  fractionalSecondDigits: 3,
  hour12: false,
});

// ---------------------------------------------------------------------------------------------------
// DOM helpers

/**
 * Creates an element. Attributes: `testid` sets data-testid, `on<event>` adds a listener, `class`,
 * `dataset` (an object), booleans set or omit the attribute; null and undefined are omitted.
 * Children: nodes, strings and numbers (as text nodes), arrays of them; null, undefined, false skipped.
 */
function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "testid") element.dataset.testid = String(value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

/** Replaces an element's children, with h()'s rules for children. */
function replace(element, children) {
  element.replaceChildren();
  append(element, children);
}

function append(element, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else element.append(typeof child === "number" ? String(child) : child);
  }
}

/** A `#/...` link target: path segments are URL-encoded, empty query values dropped. */
function hrefFor(segments, query) {
  const path = "#/" + segments.map((segment) => encodeURIComponent(segment)).join("/");
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return search === "" ? path : `${path}?${search}`;
}

/** A label and its control, kept together when the filter bar wraps. */
function field(label, control) {
  return h("span", { class: "field" }, h("label", { for: control.id }, label), control);
}

function instanceHref(app, instanceId) {
  return hrefFor(["instance", app, instanceId]);
}

function statusBadge(status) {
  const known = STATUSES.includes(status) ? status : "UNKNOWN";
  return h("span", { class: `badge status-${known.toLowerCase()}`, testid: "status", dataset: { status } }, status);
}

function timeElement(iso, format = dateTimeFormat) {
  if (iso === undefined || iso === null) return h("span", { class: "muted" }, "—");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, String(iso));
  return h("time", { datetime: iso, title: iso }, format.format(date));
}

function formatDuration(ms) {
  if (ms === undefined || ms === null || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

function durationBetween(fromIso, toIso) {
  if (!fromIso || !toIso) return undefined;
  const ms = new Date(toIso).getTime() - new Date(fromIso).getTime();
  return Number.isFinite(ms) && ms >= 0 ? ms : undefined;
}

function count(value) {
  return typeof value === "number" ? numberFormat.format(value) : "—";
}

/** JSON for a <pre>: strings that hold JSON are shown parsed, anything else as it is. */
function prettyJson(value) {
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value, null, 2) ?? String(value);
}

// ---------------------------------------------------------------------------------------------------
// The API

/** An answer of the API other than 2xx, with the server's `error` text when it sent one. */
class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** GETs `path` (relative to the page, so the monitor may sit under a path prefix) as JSON. */
async function getJson(path, query, signal) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  const response = await fetch(search === "" ? path : `${path}?${search}`, {
    signal,
    headers: { accept: "application/json" },
  });
  let body;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    const detail = typeof body?.error === "string" ? body.error : response.statusText;
    throw new ApiError(`${detail} (HTTP ${response.status})`, response.status);
  }
  if (body === undefined) throw new ApiError(`the answer is not JSON (HTTP ${response.status})`, response.status);
  return body;
}

function instancePath(app, instanceId) {
  return `api/instances/${encodeURIComponent(app)}/${encodeURIComponent(instanceId)}`;
}

// ---------------------------------------------------------------------------------------------------
// Errors shown in the page

const errorRegion = () => document.getElementById("error");

/** Shows `what` and the error's message; `origin` ("load" or "live") lets clearError() pick its own. */
function showError(what, error, origin = "load") {
  if (error?.name === "AbortError") return;
  const region = errorRegion();
  const message = error instanceof Error ? error.message : String(error);
  region.replaceChildren(h("strong", {}, what), " ", h("span", { testid: "error-message" }, message));
  region.dataset.origin = origin;
  region.hidden = false;
}

/** Hides the error, or only an error of `origin` when one is given. */
function clearError(origin) {
  const region = errorRegion();
  if (origin !== undefined && region.dataset.origin !== origin) return;
  region.hidden = true;
  region.replaceChildren();
}

/** What a view shows until its data arrives; render() replaces it with a short note if loading fails. */
function loading() {
  return h("span", { class: "muted", "data-loading": "" }, "Loading…");
}

// ---------------------------------------------------------------------------------------------------
// Views. Each takes the route and an AbortSignal (aborted when the page is left) and returns
// { element, load(), refresh(changes) }: load() fills the element; refresh() redraws from fresh data
// in place, keeping what the person opened or typed. `changes` lists the instances the stream named,
// or is null when they are unknown (the stream reconnected and may have missed some).

/**
 * Wraps a loader that fetches and returns a function drawing the result, so that only the newest
 * call draws: an answer arriving after a newer request was made is dropped, never drawn over fresher data.
 */
function latestOnly(load) {
  let newest = 0;
  return async (...args) => {
    const mine = ++newest;
    const draw = await load(...args);
    if (mine === newest) draw();
  };
}

/**
 * The filter form's time window: a preset, or (with `custom`) a from/until pair sent as RFC 3339.
 * The list's `since`/`until` select instances by their last update.
 */
function timeRangeFields(since, until, { custom: allowCustom = true, label = "Updated" } = {}) {
  const custom =
    allowCustom && ((since !== "" && !SINCE_PRESETS.some(([value]) => value === since)) || (until ?? "") !== "");
  const select = h(
    "select",
    { name: "since", id: "filter-since", testid: "filter-since" },
    SINCE_PRESETS.map(([value, label]) => h("option", { value, selected: !custom && value === since }, label)),
    allowCustom ? h("option", { value: "custom", selected: custom }, "Custom range…") : null,
  );
  const local = (iso) => {
    const date = iso ? new Date(iso) : undefined;
    if (!date || Number.isNaN(date.getTime())) return "";
    return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 19);
  };
  const from = h("input", { type: "datetime-local", step: "1", name: "from", id: "filter-from", value: local(since) });
  const to = h("input", { type: "datetime-local", step: "1", name: "until", id: "filter-until", value: local(until) });
  const range = h("span", { class: "custom-range", hidden: !custom }, field("From", from), field("Until", to));
  select.addEventListener("change", () => {
    range.hidden = select.value !== "custom";
  });
  const read = () => {
    if (select.value !== "custom") return { since: select.value, until: "" };
    const iso = (input) => (input.value === "" ? "" : new Date(input.value).toISOString());
    return { since: iso(from), until: iso(to) };
  };
  return {
    fields: [field(label, select), allowCustom ? range : null],
    select,
    read,
  };
}

function overviewView(route, signal) {
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

function instancesView(route, signal) {
  const params = route.params;
  const filters = {
    status: params.get("status") ?? "",
    name: params.get("name") ?? "",
    app: params.get("app") ?? "",
    since: params.get("since") ?? "",
    until: params.get("until") ?? "",
  };
  const cursor = params.get("cursor") ?? "";
  // Cursors of the pages before this one, kept in this history entry: "previous" needs no API support.
  const previous = Array.isArray(history.state?.previous) ? history.state.previous : [];
  const range = timeRangeFields(filters.since, filters.until);
  const status = h(
    "select",
    { name: "status", id: "filter-status", testid: "filter-status" },
    h("option", { value: "" }, "Any status"),
    STATUSES.map((value) => h("option", { value, selected: value === filters.status }, value)),
  );
  const text = (name, placeholder) =>
    h("input", { name, id: `filter-${name}`, testid: `filter-${name}`, value: filters[name], placeholder });
  const form = h(
    "form",
    { class: "filters", role: "search", testid: "filters" },
    field("Status", status),
    field("Workflow", text("name", "e.g. PaymentWorkflow")),
    field("App", text("app", "app id")),
    range.fields,
    h("button", { type: "submit", testid: "filter-apply" }, "Apply"),
    h("a", { href: "#/instances", class: "reset" }, "Clear"),
  );
  const submit = () => {
    const data = new FormData(form);
    go(
      hrefFor(["instances"], {
        status: data.get("status"),
        name: String(data.get("name") ?? "").trim(),
        app: String(data.get("app") ?? "").trim(),
        ...range.read(),
      }),
    );
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  status.addEventListener("change", submit);
  range.select.addEventListener("change", () => range.select.value !== "custom" && submit());

  const summary = h("p", { testid: "list-summary", role: "status" }, loading());
  const tbody = h("tbody", {});
  const table = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { testid: "instances" },
      h("caption", { class: "visually-hidden" }, "Workflow instances, newest first"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          ["Status", "Instance and workflow", "App", "Created", "Last update", "Duration", "Events", "Failure"].map(
            (label) => h("th", { scope: "col" }, label),
          ),
        ),
      ),
      tbody,
    ),
  );
  const pageLink = (label, testid, enabled, target, state) =>
    h("button", { type: "button", testid, disabled: !enabled, onclick: () => go(target, state) }, label);
  const pager = h("nav", { class: "pager", "aria-label": "Pages", testid: "pager" });
  const element = h(
    "section",
    { "aria-labelledby": "page-title" },
    h("h1", { id: "page-title", tabindex: "-1" }, filters.status === "FAILED" ? "Failed instances" : "Instances"),
    form,
    summary,
    table,
    pager,
  );

  let visible = new Set();
  const load = latestOnly(async (changes) => {
    const page = await getJson(
      "api/instances",
      { ...filters, limit: PAGE_SIZE, cursor: cursor === "" ? undefined : cursor },
      signal,
    );
    return () => drawPage(page, changes ?? []);
  });
  const drawPage = (page, changes) => {
    const instances = Array.isArray(page.instances) ? page.instances : [];
    const changed = new Set(changes.map((change) => key(change.app, change.instanceId)));
    visible = new Set(instances.map((instance) => key(instance.app, instance.instanceId)));
    tbody.replaceChildren(
      ...instances.map((instance) => instanceRow(instance, changed.has(key(instance.app, instance.instanceId)))),
    );
    if (instances.length === 0) {
      tbody.append(h("tr", {}, h("td", { colspan: 8, class: "muted", testid: "no-instances" }, "No instances match.")));
    }
    // The page's offset is known when it was reached from the first page (previous[0] is its cursor "").
    const offset = cursor === "" || previous.length > 0 ? previous.length * PAGE_SIZE : undefined;
    const of = typeof page.total === "number" ? ` of ${count(page.total)}` : "";
    let text = `${count(instances.length)}${of} instances (a later page)`;
    if (instances.length === 0) text = `0${of} instances`;
    else if (offset !== undefined)
      text = `Showing ${count(offset + 1)}–${count(offset + instances.length)}${of} instances`;
    summary.replaceChildren(text);
    summary.dataset.total = String(page.total ?? "");
    const here = (nextCursor) => hrefFor(["instances"], { ...filters, cursor: nextCursor });
    pager.replaceChildren(
      pageLink("First page", "page-first", cursor !== "", here(""), { previous: [] }),
      pageLink("← Newer", "page-prev", previous.length > 0, here(previous.at(-1) ?? ""), {
        previous: previous.slice(0, -1),
      }),
      pageLink("Older →", "page-next", typeof page.nextCursor === "string", here(page.nextCursor ?? ""), {
        previous: [...previous, cursor],
      }),
    );
  };
  const refresh = async (changes) => {
    // The first page shows new instances; a later page redraws only when one of its rows changed.
    const mine = changes === null || changes.some((change) => visible.has(key(change.app, change.instanceId)));
    if (cursor !== "" && !mine) return;
    await load(changes);
  };
  return { element, load: () => load([]), refresh };
}

function key(app, instanceId) {
  return `${app}\u0000${instanceId}`;
}

function instanceRow(instance, changed) {
  const duration = durationBetween(instance.createdAt, instance.completedAt);
  return h(
    "tr",
    {
      testid: "instance-row",
      class: changed ? "changed" : undefined,
      dataset: { app: instance.app, instanceId: instance.instanceId, status: instance.status },
    },
    h("td", {}, statusBadge(instance.status)),
    // The workflow's name sits under the id, which leaves the failure column room on a laptop screen.
    h(
      "td",
      {},
      h(
        "a",
        { href: instanceHref(instance.app, instance.instanceId), class: "mono nowrap", testid: "instance-link" },
        instance.instanceId,
      ),
      h("div", { class: "muted small", testid: "instance-name" }, instance.name),
    ),
    h("td", { class: "nowrap" }, instance.app),
    h("td", { class: "nowrap" }, timeElement(instance.createdAt, shortFormat)),
    h("td", { class: "nowrap" }, timeElement(instance.lastUpdatedAt, shortFormat)),
    h("td", { class: "num" }, formatDuration(duration)),
    h("td", { class: "num" }, count(instance.eventCount)),
    h(
      "td",
      { class: "failure-cell" },
      instance.failure
        ? [h("strong", {}, instance.failure.errorType ?? "Error"), " ", instance.failure.errorMessage ?? ""]
        : null,
    ),
  );
}

function instanceView(route, signal) {
  const [app = "", instanceId = ""] = route.segments;
  const body = h("div", { testid: "instance-body" }, loading());
  const element = h(
    "section",
    { "aria-labelledby": "page-title" },
    h(
      "h1",
      { id: "page-title", tabindex: "-1" },
      "Instance ",
      h("span", { class: "mono", testid: "instance-id" }, instanceId),
    ),
    body,
  );
  const open = new Set(); // seq of the timeline entries whose data is shown, kept across refreshes
  let shownAll = false;
  const load = latestOnly(async () => {
    const base = instancePath(app, instanceId);
    const [detail, history] = await Promise.all([
      getJson(base, undefined, signal),
      getJson(`${base}/history`, undefined, signal),
    ]);
    const events = Array.isArray(history.events) ? history.events : [];
    return () =>
      replace(body, [
        instanceContent(detail.instance ?? {}),
        timeline(events, open, shownAll, () => {
          shownAll = true;
          void load().catch((error) => showError("Could not load the history:", error));
        }),
      ]);
  });
  const refresh = async (changes) => {
    const mine = changes === null || changes.some((change) => change.app === app && change.instanceId === instanceId);
    if (mine) await load();
  };
  return { element, load, refresh };
}

function instanceContent(instance) {
  const failure = instance.failure
    ? h(
        "section",
        { class: "failure", testid: "failure", "aria-labelledby": "failure-title" },
        h("h2", { id: "failure-title" }, "Failure"),
        h(
          "p",
          { class: "failure-head" },
          h("strong", { testid: "failure-type" }, instance.failure.errorType ?? "Error"),
          ": ",
          h("span", { testid: "failure-message" }, instance.failure.errorMessage ?? ""),
        ),
        instance.failure.stackTrace
          ? h("pre", { class: "stack", testid: "failure-stack" }, instance.failure.stackTrace)
          : h("p", { class: "muted" }, "No stack trace was recorded."),
      )
    : null;
  const children = Array.isArray(instance.children) ? instance.children : [];
  const facts = [
    ["Status", statusBadge(instance.status)],
    ["Workflow", h("a", { href: hrefFor(["instances"], { name: instance.name, app: instance.app }) }, instance.name)],
    ["App", instance.app],
    ["Namespace", instance.namespace ?? "—"],
    ["Created", timeElement(instance.createdAt)],
    ["Last update", timeElement(instance.lastUpdatedAt)],
    ["Completed", timeElement(instance.completedAt)],
    ["Duration", formatDuration(durationBetween(instance.createdAt, instance.completedAt))],
    ["Events", count(instance.eventCount)],
    [
      "Parent",
      instance.parent
        ? h(
            "a",
            { href: instanceHref(instance.parent.app, instance.parent.instanceId), testid: "parent-link" },
            instance.parent.instanceId,
          )
        : h("span", { class: "muted" }, "none"),
    ],
  ];
  return [
    failure,
    h(
      "dl",
      { class: "facts", testid: "facts" },
      facts.map(([term, value]) => h("div", {}, h("dt", {}, term), h("dd", {}, value))),
    ),
    children.length > 0
      ? h(
          "section",
          { "aria-labelledby": "children-title" },
          h("h2", { id: "children-title" }, `Child workflows (${children.length})`),
          h(
            "ul",
            { class: "children", testid: "children" },
            children.map((child) =>
              h(
                "li",
                {},
                statusBadge(child.status),
                " ",
                h("a", { href: instanceHref(child.app, child.instanceId), testid: "child-link" }, child.instanceId),
                " ",
                h("span", { class: "muted" }, child.name ?? ""),
              ),
            ),
          ),
        )
      : null,
    instance.input !== undefined && instance.input !== null ? payload("Input", instance.input, "input") : null,
    instance.output !== undefined && instance.output !== null ? payload("Output", instance.output, "output") : null,
  ];
}

function payload(label, value, testid) {
  return h("details", { class: "payload", testid }, h("summary", {}, label), h("pre", {}, prettyJson(value)));
}

function timeline(events, open, shownAll, showAll) {
  const sorted = [...events].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
  const start = sorted.length > 0 ? new Date(sorted[0].time).getTime() : NaN;
  const shown = shownAll ? sorted : sorted.slice(0, TIMELINE_FIRST);
  const items = shown.map((event) => {
    const offset = new Date(event.time).getTime() - start;
    const type = String(event.type ?? "");
    const shortType = type.replace(/^io\.dapr\.(workflows|actors)\./, "");
    const details = h(
      "details",
      { open: open.has(event.seq), testid: "event-data" },
      h("summary", {}, "Data"),
      h("pre", {}, prettyJson({ id: event.id, source: event.source, type, data: event.data })),
    );
    details.addEventListener("toggle", () => (details.open ? open.add(event.seq) : open.delete(event.seq)));
    return h(
      "li",
      { class: `event kind-${eventCategory(shortType)}`, testid: "timeline-event", dataset: { seq: event.seq, type } },
      h(
        "div",
        { class: "event-head" },
        h("span", { class: "event-time" }, timeElement(event.time, clockFormat)),
        h("span", { class: "event-offset muted" }, Number.isFinite(offset) ? `+${formatDuration(offset)}` : ""),
        h("span", { class: "event-type", title: type, testid: "event-type" }, shortType),
      ),
      h("p", { class: "event-summary", testid: "event-summary" }, event.summary ?? ""),
      details,
    );
  });
  return h(
    "section",
    { "aria-labelledby": "timeline-title" },
    h("h2", { id: "timeline-title" }, `History (${count(sorted.length)} events)`),
    sorted.length === 0
      ? h("p", { class: "muted", testid: "timeline-empty" }, "No events recorded.")
      : h("ol", { class: "timeline", testid: "timeline" }, items),
    shown.length < sorted.length
      ? h("button", { type: "button", onclick: showAll }, `Show all ${count(sorted.length)} events`)
      : null,
  );
}

function eventCategory(shortType) {
  if (/failed|terminated|canceled/.test(shortType)) return "failed";
  if (/completed/.test(shortType)) return "completed";
  if (/started|created|scheduled/.test(shortType)) return "started";
  return "other";
}

function notFoundView(route) {
  const element = h(
    "section",
    {},
    h("h1", { id: "page-title", tabindex: "-1" }, "Page not found"),
    h("p", {}, `Nothing lives at “${route.path}”. `, h("a", { href: "#/" }, "Go to the overview.")),
  );
  return { element, load: async () => undefined, refresh: async () => undefined };
}

// ---------------------------------------------------------------------------------------------------
// Routing

function parseRoute(hash) {
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

const VIEWS = { overview: overviewView, instances: instancesView, instance: instanceView, notFound: notFoundView };

/** What is on screen: the route's view and the controller that cancels its requests. */
let current;
let first = true;

/** Navigates in the page: a new history entry carrying `state`, then the view. */
function go(href, state) {
  history.pushState(state ?? null, "", href);
  void render();
}

async function render() {
  current?.controller.abort();
  const route = parseRoute(location.hash);
  const controller = new AbortController();
  const view = VIEWS[route.name](route, controller.signal);
  current = { route, controller, view, refreshing: undefined };
  clearError();
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
}

function describe(route) {
  if (route.name === "overview") return "the overview";
  if (route.name === "instances") return "the instances";
  return `instance ${route.segments[1] ?? ""}`;
}

// ---------------------------------------------------------------------------------------------------
// Live updates

/**
 * Follows api/stream. The instances named by `change` events are collected, and the view on screen
 * refreshed with them at most once per LIVE_REFRESH_MS, one refresh at a time, and not while the tab
 * is hidden (it catches up when shown). After a reconnect the view refreshes as if all had changed.
 */
function startLive() {
  const indicator = document.querySelector("[data-testid=live-status]");
  const state = indicator.querySelector("[data-live-state]");
  const updated = indicator.querySelector("[data-live-updated]");
  const setState = (name, text) => {
    indicator.dataset.state = name;
    if (state.textContent !== text) state.textContent = text;
  };
  if (typeof EventSource !== "function") {
    setState("unsupported", "No live updates in this browser");
    return;
  }
  /** Instances named since the last refresh; null when unknown (refresh everything). */
  let pending = [];
  let due = false;
  let timer;
  let updates = 0;
  const schedule = () => {
    due = true;
    timer ??= setTimeout(() => void flush(), LIVE_REFRESH_MS);
  };
  const flush = async () => {
    timer = undefined;
    const screen = current;
    if (!due || screen === undefined || document.hidden) return;
    if (screen.refreshing !== undefined) {
      // A refresh is still running: come back after it instead of stacking requests.
      timer = setTimeout(() => void flush(), LIVE_REFRESH_MS);
      return;
    }
    const changes = pending;
    pending = [];
    due = false;
    screen.refreshing = screen.view.refresh(changes).then(
      () => {
        clearError("live");
        indicator.dataset.updates = String(++updates);
      },
      (error) => showError("Live update failed:", error, "live"),
    );
    await screen.refreshing;
    screen.refreshing = undefined;
  };
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && due) timer ??= setTimeout(() => void flush(), 0);
  });
  const source = new EventSource("api/stream");
  let opened = false;
  source.addEventListener("open", () => {
    setState("live", "Live");
    if (opened) {
      pending = null;
      schedule();
    }
    opened = true;
  });
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) setState("offline", "Live updates stopped; reload the page");
    else setState("reconnecting", "Reconnecting…");
  });
  source.addEventListener("change", (message) => {
    let data;
    try {
      data = JSON.parse(message.data);
    } catch {
      return;
    }
    if (pending !== null) {
      if (Array.isArray(data?.instances)) pending.push(...data.instances);
      else pending = null;
    }
    updated.textContent = `updated ${timeOfDayFormat.format(new Date())}`;
    schedule();
  });
}

// ---------------------------------------------------------------------------------------------------
// Start

window.addEventListener("hashchange", () => void render());
document.querySelector("[data-testid=skip-link]")?.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main")?.focus();
});
void render();
startLive();
