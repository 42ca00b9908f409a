import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderConfigReference } from "../src/config/reference.js";
import { SETTING_LIST } from "../src/config/settings.js";

const README = new URL("../README.md", import.meta.url);
const START = /<!-- settings:start[^>]*-->\n/;
const END = "<!-- settings:end -->";

/** The settings tables of the generated reference, one heading level down, for the README. */
function settingsSection(): string {
  const reference = renderConfigReference();
  const from = reference.indexOf("## Settings");
  const to = reference.search(/\n## [Rr]out/);
  return (
    reference
      .slice(from, to === -1 ? undefined : to)
      .trim()
      .replace(/^## /gm, "### ") + "\n"
  );
}

describe("README", () => {
  it("carries the generated settings tables (UPDATE_DOCS=1 npx vitest run test/readme.test.ts regenerates them)", () => {
    let readme = readFileSync(README, "utf8");
    const start = START.exec(readme);
    const end = readme.indexOf(END);
    expect(start, "README must keep the settings:start marker").not.toBeNull();
    expect(end).toBeGreaterThan(-1);
    const begin = (start as RegExpExecArray).index + (start as RegExpExecArray)[0].length;
    if (process.env["UPDATE_DOCS"] === "1") {
      readme = readme.slice(0, begin) + settingsSection() + readme.slice(end);
      writeFileSync(README, readme);
    }
    expect(readme.slice(begin, readme.indexOf(END))).toBe(settingsSection());
  });

  it("keeps the two-command quick start", () => {
    const readme = readFileSync(README, "utf8");
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm ci && npm test");
  });

  it("lists every flag and environment variable of the settings table", () => {
    const readme = readFileSync(README, "utf8");
    const missing: string[] = [];
    for (const setting of SETTING_LIST) {
      if (setting.flag !== undefined && !readme.includes(`\`${setting.flag}\``)) missing.push(setting.flag);
      for (const env of setting.env ?? []) {
        if (!env.includes(" ") && !readme.includes(env)) missing.push(env);
      }
    }
    expect(missing).toEqual([]);
  });

  it("says the test command that .ci/run runs", () => {
    const ci = readFileSync(new URL("../.ci/run", import.meta.url), "utf8");
    expect(ci).toContain("npm ci");
    expect(ci).toContain("npm test");
  });
});
