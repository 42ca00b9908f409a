// The page for a route the UI does not have.

import { h } from "../dom.js";

/** Says nothing lives at the route and links to the overview; see the view contract in router.js. */
export function notFoundView(route) {
  const element = h(
    "section",
    {},
    h("h1", { id: "page-title", tabindex: "-1" }, "Page not found"),
    h("p", {}, `Nothing lives at “${route.path}”. `, h("a", { href: "#/" }, "Go to the overview.")),
  );
  return { element, load: async () => undefined, refresh: async () => undefined };
}
