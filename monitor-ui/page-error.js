// The error region at the top of the page (`#error`), where failed loads and live updates show.

import { h } from "./dom.js";

const errorRegion = () => document.getElementById("error");

/** Shows `what` and the error's message; `origin` ("load" or "live") lets clearError() pick its own. */
export function showError(what, error, origin = "load") {
  if (error?.name === "AbortError") return;
  const region = errorRegion();
  const message = error instanceof Error ? error.message : String(error);
  region.replaceChildren(h("strong", {}, what), " ", h("span", { testid: "error-message" }, message));
  region.dataset.origin = origin;
  region.hidden = false;
}

/** Hides the error, or only an error of `origin` when one is given. */
export function clearError(origin) {
  const region = errorRegion();
  if (origin !== undefined && region.dataset.origin !== origin) return;
  region.hidden = true;
  region.replaceChildren();
}
