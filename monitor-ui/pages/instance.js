// An instance's page (`#/instance/{app}/{id}`): its failure, facts, children, payloads and timeline.

import { getJson, instancePath, latestOnly } from "../api.js";
import { h, loading, replace } from "../dom.js";
import { clockFormat, count, durationBetween, formatDuration, prettyJson } from "../format.js";
import { hrefFor, instanceHref } from "../links.js";
import { showError } from "../page-error.js";
import { statusBadge, timeElement } from "../widgets.js";

/** Timeline entries drawn at first; the rest on request, so a long history stays responsive. */
const TIMELINE_FIRST = 500;

/** An instance's page; see the view contract in router.js. */
export function instanceView(route, signal) {
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
