import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { describe, it } from "vitest";

/** Debian's chromium: the browser tests drive it and never download one. */
export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Where the tests leave a screenshot of each page (ignored by git). */
export const SCREENSHOT_DIR = path.join(import.meta.dirname, "..", "..", ".cache", "screenshots");

/**
 * A describe block that needs Debian's chromium. Without it the block is skipped with the reason,
 * except under CI=true, where it fails instead.
 */
export function describeBrowser(title: string, body: () => void): void {
  if (existsSync(CHROMIUM_PATH)) {
    describe(title, body);
    return;
  }
  const missing = `${CHROMIUM_PATH} is missing (apt-get install -y chromium)`;
  if (process.env["CI"] === "true") {
    describe(title, () => {
      it("has chromium (CI=true does not allow skipping)", () => {
        throw new Error(`the browser test cannot run: ${missing}`);
      });
    });
    return;
  }
  process.stderr.write(`\nthe monitor UI browser test is skipped: ${missing}\n\n`);
  describe.skip(title, body);
}

/** Headless chromium, offline-minded: no first-run, sync, component updates or background traffic. */
export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Saves a full-page screenshot as `.cache/screenshots/<name>.png` and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
