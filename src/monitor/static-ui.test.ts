import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isUiPath, serveUi } from "./static-ui.js";

/** GETs `rawPath` exactly as written (node:http sends it without normalising `..` or `%2e`). */
function get(port: number, rawPath: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: rawPath }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          type: response.headers["content-type"] ?? "",
          body: Buffer.concat(chunks).toString("utf8"),
        }),
      );
      response.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("serveUi", () => {
  // root/secret.js sits beside the UI's folder root/ui: what a traversal would reach.
  const root = mkdtempSync(path.join(tmpdir(), "static-ui-"));
  const dir = path.join(root, "ui");
  let server: Server;
  let port: number;

  beforeAll(async () => {
    mkdirSync(path.join(dir, "pages"), { recursive: true });
    writeFileSync(path.join(root, "secret.js"), "secret");
    writeFileSync(path.join(dir, "index.html"), "<h1>ui</h1>");
    writeFileSync(path.join(dir, "app.js"), "app");
    writeFileSync(path.join(dir, "app.css"), "css");
    writeFileSync(path.join(dir, "icon.svg"), "<svg/>");
    writeFileSync(path.join(dir, "notes.txt"), "notes");
    writeFileSync(path.join(dir, ".hidden.js"), "hidden");
    writeFileSync(path.join(dir, "pages", "overview.js"), "overview");
    // The raw path, not a parsed URL's: serveUi must refuse traversal on its own.
    server = createServer((req, res) => void serveUi(dir, (req.url ?? "/").split("?")[0] ?? "/", res));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  it("serves the UI's files, in subfolders too, with their content types", async () => {
    const cases: [string, string, string][] = [
      ["/", "text/html; charset=utf-8", "<h1>ui</h1>"],
      ["/index.html", "text/html; charset=utf-8", "<h1>ui</h1>"],
      ["/app.js?v=1", "text/javascript; charset=utf-8", "app"],
      ["/app.css", "text/css; charset=utf-8", "css"],
      ["/icon.svg", "image/svg+xml", "<svg/>"],
      ["/pages/overview.js", "text/javascript; charset=utf-8", "overview"],
    ];
    for (const [rawPath, type, body] of cases) {
      expect(await get(port, rawPath), rawPath).toEqual({ status: 200, type, body });
      expect(isUiPath(rawPath.split("?")[0] ?? ""), rawPath).toBe(true);
    }
  });

  it("answers 404 to traversal, encoded separators, absolute paths and files it does not serve", async () => {
    const refused = [
      "/../secret.js",
      "/pages/../../secret.js",
      "/pages/../app.js",
      "/%2e%2e/secret.js",
      "/.%2e/secret.js",
      "/..%2fsecret.js",
      "/..%2Fsecret.js",
      "/pages%2f..%2f..%2fsecret.js",
      "/..%5csecret.js",
      "/..\\secret.js",
      "/%2fetc/passwd.js",
      `/${path.join(root, "secret.js")}`,
      "//secret.js",
      "/C:/secret.js",
      "/app.js%00.html",
      "/.hidden.js",
      "/notes.txt",
      "/pages",
      "/pages/",
      "/missing.js",
    ];
    for (const rawPath of refused) {
      expect((await get(port, rawPath)).status, rawPath).toBe(404);
    }
    for (const rawPath of refused.slice(0, -1)) expect(isUiPath(rawPath), rawPath).toBe(false);
  });
});
