// The UI's addresses: its own `#/...` routes and the query strings of the API.

/** A query string without the leading "?": empty, null and undefined values dropped. */
export function queryString(query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  return params.toString();
}

/** A `#/...` link target: path segments are URL-encoded, empty query values dropped. */
export function hrefFor(segments, query) {
  const path = "#/" + segments.map((segment) => encodeURIComponent(segment)).join("/");
  const search = queryString(query);
  return search === "" ? path : `${path}?${search}`;
}

/** The link to an instance's page. */
export function instanceHref(app, instanceId) {
  return hrefFor(["instance", app, instanceId]);
}
