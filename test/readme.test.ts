import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { SETTING_LIST } from "../src/config/settings.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

describe("README", () => {
  it("keeps the two-command quick start", () => {
    expect(readme).toContain("npm ci && npm run demo");
    expect(readme).toContain("npm ci && npm test");
  });

  it("lists every flag and environment variable of the settings table", () => {
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
