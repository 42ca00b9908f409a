// The instance list (`#/instances?...`): filters, one page of 50 by cursor, and the total.

import { getJson, latestOnly } from "../api.js";
import { field, h, loading } from "../dom.js";
import { count, durationBetween, formatDuration, shortFormat } from "../format.js";
import { hrefFor, instanceHref } from "../links.js";
import { STATUSES, statusBadge, timeElement, timeRangeFields } from "../widgets.js";

/** Rows per page of the instance list: the API pages by cursor, so no view ever fetches everything. */
const PAGE_SIZE = 50;

/** The instance list; see the view contract in router.js. */
export function instancesView(route, signal, go) {
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
