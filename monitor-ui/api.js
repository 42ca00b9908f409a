// The monitor's JSON API, on the page's own origin.

import { queryString } from "./links.js";

/** An answer of the API other than 2xx, with the server's `error` text when it sent one. */
export class ApiError extends Error {
  constructor(message, status) {
    super(message);
    this.name = "ApiError";
    this.status = status;
  }
}

/** GETs `path` (relative to the page, so the monitor may sit under a path prefix) as JSON. */
export async function getJson(path, query, signal) {
  const search = queryString(query);
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

/** The API path of an instance; add "/history" for its events. */
export function instancePath(app, instanceId) {
  return `api/instances/${encodeURIComponent(app)}/${encodeURIComponent(instanceId)}`;
}

/**
 * Wraps a loader that fetches and returns a function drawing the result, so that only the newest
 * call draws: an answer arriving after a newer request was made is dropped, never drawn over fresher data.
 */
export function latestOnly(load) {
  let newest = 0;
  return async (...args) => {
    const mine = ++newest;
    const draw = await load(...args);
    if (mine === newest) draw();
  };
}
