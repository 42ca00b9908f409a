// The monitor's web UI, loaded as `<script type="module">`: plain browser JavaScript, no framework, no
// build step, nothing fetched from elsewhere. Three hash routes (overview, instance list, instance
// page) over the monitor's JSON API on the same origin, kept current by the server-sent events of
// api/stream.

import { startLive } from "./live.js";
import { instanceView } from "./pages/instance.js";
import { instancesView } from "./pages/instances.js";
import { notFoundView } from "./pages/not-found.js";
import { overviewView } from "./pages/overview.js";
import { createRouter } from "./router.js";

const router = createRouter({
  overview: overviewView,
  instances: instancesView,
  instance: instanceView,
  notFound: notFoundView,
});

window.addEventListener("hashchange", () => void router.render());
document.querySelector("[data-testid=skip-link]")?.addEventListener("click", (event) => {
  event.preventDefault();
  document.getElementById("main")?.focus();
});
void router.render();
startLive(router.screen);
