import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { validateConfig } from "./load.js";
import { renderProblem } from "./problems.js";
import { renderConfigReference } from "./reference.js";
import { SETTING_LIST } from "./settings.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const referencePath = `${root}docs/configuration.md`;

describe("docs/configuration.md", () => {
  it("equals renderConfigReference() (regenerate with UPDATE_DOCS=1 npx vitest run src/config)", () => {
    const rendered = renderConfigReference();
    if (process.env["UPDATE_DOCS"] === "1") writeFileSync(referencePath, rendered);
    const committed = existsSync(referencePath) ? readFileSync(referencePath, "utf8") : "";
    expect(
      committed,
      "docs/configuration.md is stale: run `UPDATE_DOCS=1 npx vitest run src/config` and commit it",
    ).toBe(rendered);
  });

  it("documents every setting with its flag and environment variables", () => {
    const rendered = renderConfigReference();
    for (const setting of SETTING_LIST) {
      expect(rendered).toContain(`| \`${setting.key}\` |`);
      if (setting.flag !== undefined) expect(rendered).toContain(`\`${setting.flag}\``);
      for (const env of setting.env ?? []) expect(rendered).toContain(env);
    }
  });

  it("gives every setting a unique flag and unique environment variables", () => {
    const flags = SETTING_LIST.flatMap((s) => (s.flag === undefined ? [] : [s.flag]));
    const envs = SETTING_LIST.flatMap((s) => s.env ?? []);
    expect(new Set(flags).size).toBe(flags.length);
    expect(new Set(envs).size).toBe(envs.length);
    for (const flag of flags) expect(flag).toMatch(/^--[a-z0-9]+(?:-[a-z0-9]+)*$/);
  });
});

/** Bridge configuration files among the YAML of a folder: Dapr resources (apiVersion + kind) and multi-document files are not. */
function bridgeYamlFiles(dir: string): string[] {
  if (!existsSync(`${root}${dir}`)) return [];
  return readdirSync(`${root}${dir}`)
    .filter((name) => /\.ya?ml$/.test(name))
    .map((name) => `${root}${dir}/${name}`)
    .filter((path) => {
      const docs = parseAllDocuments(readFileSync(path, "utf8"));
      if (!Array.isArray(docs) || docs.length !== 1) return false; // a bridge config is one document
      const doc: unknown = docs[0]?.toJS();
      return !(typeof doc === "object" && doc !== null && "apiVersion" in doc && "kind" in doc);
    });
}

describe("example configuration files", () => {
  const found = [...bridgeYamlFiles("docs"), ...bridgeYamlFiles("components")];

  it("include docs/bridge.example.yaml", () => {
    expect(found).toContain(`${root}docs/bridge.example.yaml`);
  });

  it.each(found)("%s is valid", (file) => {
    const result = validateConfig({ flags: {}, env: {}, file });
    expect(result.ok ? [] : result.problems.map(renderProblem)).toEqual([]);
  });
});
