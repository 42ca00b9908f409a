import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ServerResponse } from "node:http";
import { PROTO_DIR } from "../proto/protos.js";

/** The web UI's folder in the package: `monitor-ui/` beside `proto/`, from `src/` and from `dist/`. */
export const DEFAULT_UI_DIR = path.join(path.dirname(PROTO_DIR), "monitor-ui");

/** The content type of each file extension the UI may serve; any other file is not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * A URL path the UI may serve: `/`, or `/`-separated names of letters, digits, `_`, `-` and `.` that
 * do not start with a dot. So no `..`, no `%` (no encoded slash or dot), no backslash, no empty
 * segment (`//`) and no drive letter can name a file outside the UI's folder.
 */
const SAFE_PATH = /^(?:\/[A-Za-z0-9_-][A-Za-z0-9._-]*)+$/;

/** The file `pathname` names relative to the UI's folder, with its content type, or undefined. */
function uiFile(pathname: string): { file: string; type: string } | undefined {
  if (pathname === "/") return { file: "index.html", type: "text/html; charset=utf-8" };
  if (!SAFE_PATH.test(pathname)) return undefined;
  const type = CONTENT_TYPES[path.posix.extname(pathname)];
  return type === undefined ? undefined : { file: pathname.slice(1), type };
}

/** Whether `pathname` (a URL's path, still percent-encoded) may name one of the UI's files. */
export function isUiPath(pathname: string): boolean {
  return uiFile(pathname) !== undefined;
}

/**
 * Serves a UI file from `dir` (read on each request, so a rebuilt UI shows on reload): `/` is
 * `index.html`, any other path a file under `dir` with an extension of `.html`, `.js`, `.css` or
 * `.svg`; anything else, and any path that could leave `dir`, answers 404. Without the folder, `/`
 * answers a plain page saying the API works and where the UI would be.
 */
export async function serveUi(dir: string, pathname: string, response: ServerResponse): Promise<void> {
  const entry = uiFile(pathname);
  const root = path.resolve(dir);
  const file = entry === undefined ? undefined : path.resolve(root, ...entry.file.split("/"));
  // SAFE_PATH already keeps the file inside the folder; this states the invariant where it matters.
  if (entry === undefined || file === undefined || !file.startsWith(root + path.sep)) {
    return void response.writeHead(404).end();
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, { "content-type": entry.type, "cache-control": "no-cache" }).end(body);
  } catch {
    if (pathname !== "/" && pathname !== "/index.html") return void response.writeHead(404).end();
    response
      .writeHead(200, { "content-type": "text/plain; charset=utf-8" })
      .end(
        `dapr-event-bridge monitor\n\nThe web UI is not installed (no ${path.join(dir, "index.html")}).\n` +
          "The JSON API works: /api/instances, /api/aggregates, /api/stream, /metrics (docs/monitor.md).\n",
      );
  }
}
