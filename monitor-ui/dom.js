// DOM helpers for the monitor's web UI.
//
// Invariant: text from the API only ever reaches the page as text nodes or attribute values (see h()),
// never as HTML.

/**
 * Creates an element. Attributes: `testid` sets data-testid, `on<event>` adds a listener, `class`,
 * `dataset` (an object), booleans set or omit the attribute; null and undefined are omitted.
 * Children: nodes, strings and numbers (as text nodes), arrays of them; null, undefined, false skipped.
 */
export function h(tag, attributes, ...children) {
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
export function replace(element, children) {
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

/** A label and its control, kept together when the filter bar wraps. */
export function field(label, control) {
  return h("span", { class: "field" }, h("label", { for: control.id }, label), control);
}

/** What a view shows until its data arrives; render() replaces it with a short note if loading fails. */
export function loading() {
  return h("span", { class: "muted", "data-loading": "" }, "Loading…");
}
