// Pieces more than one page draws: the status badge, a time, and the time-window filter.

import { field, h } from "./dom.js";
import { dateTimeFormat } from "./format.js";

/** Instance statuses, in the order the UI lists them. */
export const STATUSES = ["RUNNING", "PENDING", "SUSPENDED", "COMPLETED", "FAILED", "TERMINATED", "CONTINUED_AS_NEW"];

/** Time windows offered by the filters: the API's `since` value and its label. "" is no bound. */
export const SINCE_PRESETS = [
  ["15m", "Last 15 minutes"],
  ["1h", "Last hour"],
  ["6h", "Last 6 hours"],
  ["24h", "Last 24 hours"],
  ["168h", "Last 7 days"],
  ["", "Any time"],
];

/** A status as a word and a colour; statuses the UI does not know look neutral. */
export function statusBadge(status) {
  const known = STATUSES.includes(status) ? status : "UNKNOWN";
  return h("span", { class: `badge status-${known.toLowerCase()}`, testid: "status", dataset: { status } }, status);
}

/** A time as `<time>` in the locale's format (the ISO text as its title); "—" when absent. */
export function timeElement(iso, format = dateTimeFormat) {
  if (iso === undefined || iso === null) return h("span", { class: "muted" }, "—");
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h("span", {}, String(iso));
  return h("time", { datetime: iso, title: iso }, format.format(date));
}

/**
 * The filter form's time window: a preset, or (with `custom`) a from/until pair sent as RFC 3339.
 * The list's `since`/`until` select instances by their last update.
 */
export function timeRangeFields(since, until, { custom: allowCustom = true, label = "Updated" } = {}) {
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
