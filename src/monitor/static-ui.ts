import { readFile } from "node:fs/promises";
import path from "node:path";
import type { ServerResponse } from "node:http";
import { PROTO_DIR } from "../proto/protos.js";

/** The web UI's folder in the package: `monitor-ui/` beside `proto/`, from `src/` and from `dist/`. */
export const DEFAULT_UI_DIR = path.join(path.dirname(PROTO_DIR), "monitor-ui");

/** The files the UI consists of, by URL path. */
const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/index.html": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

/** Whether `pathname` is one of the UI's files. */
export function isUiPath(pathname: string): boolean {
  return FILES[pathname] !== undefined;
}

/**
 * Serves a UI file from `dir` (read on each request, so a rebuilt UI shows on reload). Without the
 * folder, `/` answers a plain page saying the API works and where the UI would be.
 */
export async function serveUi(dir: string, pathname: string, response: ServerResponse): Promise<void> {
  const entry = FILES[pathname];
  if (entry === undefined) return void response.writeHead(404).end();
  try {
    const body = await readFile(path.join(dir, entry.file));
    response.writeHead(200, { "content-type": entry.type, "cache-control": "no-cache" }).end(body);
  } catch {
    if (entry.file !== "index.html") return void response.writeHead(404).end();
    response
      .writeHead(200, { "content-type": "text/plain; charset=utf-8" })
      .end(
        `dapr-event-bridge monitor\n\nThe web UI is not installed (no ${path.join(dir, "index.html")}).\n` +
          "The JSON API works: /api/instances, /api/aggregates, /api/stream, /metrics (docs/monitor.md).\n",
      );
  }
}
