// Live updates: follows the monitor's server-sent events (api/stream) and refreshes the view on screen.

import { timeOfDayFormat } from "./format.js";
import { clearError, showError } from "./page-error.js";

/** Live updates: at most one refresh of the visible view per this many milliseconds. */
const LIVE_REFRESH_MS = 400;

/**
 * Follows api/stream. The instances named by `change` events are collected, and the view on screen
 * refreshed with them at most once per LIVE_REFRESH_MS, one refresh at a time, and not while the tab
 * is hidden (it catches up when shown). After a reconnect the view refreshes as if all had changed.
 * `screen()` returns what is on screen (the router's `screen`).
 */
export function startLive(screen) {
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
    const shown = screen();
    if (!due || shown === undefined || document.hidden) return;
    if (shown.refreshing !== undefined) {
      // A refresh is still running: come back after it instead of stacking requests.
      timer = setTimeout(() => void flush(), LIVE_REFRESH_MS);
      return;
    }
    const changes = pending;
    pending = [];
    due = false;
    shown.refreshing = shown.view.refresh(changes).then(
      () => {
        clearError("live");
        indicator.dataset.updates = String(++updates);
      },
      (error) => showError("Live update failed:", error, "live"),
    );
    await shown.refreshing;
    shown.refreshing = undefined;
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
