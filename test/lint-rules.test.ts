import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { ESLint } from "eslint";
import tseslint from "typescript-eslint";
import { afterEach, describe, expect, it } from "vitest";
// @ts-expect-error -- a plain JavaScript module without declarations
import { noImportCycle } from "../eslint-rules/no-import-cycle.js";
import { tempDir } from "./helpers/config.js";

// The project's own lint rule against import cycles (eslint.config.js applies it to src/).

const removals: Array<() => void> = [];
afterEach(() => {
  for (const remove of removals.splice(0)) remove();
});

async function lint(files: Record<string, string>): Promise<string[]> {
  const dir = tempDir("bridge-lint-");
  removals.push(dir.remove);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir.dir, name)), { recursive: true });
    writeFileSync(path.join(dir.dir, name), text);
  }
  const eslint = new ESLint({
    cwd: dir.dir,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tseslint.parser },
        plugins: { local: { rules: { "no-import-cycle": noImportCycle as never } } },
        rules: { "local/no-import-cycle": ["error", { root: "src" }] },
      },
    ],
  });
  const results = await eslint.lintFiles(["src/**/*.ts"]);
  return results.flatMap((result) =>
    result.messages.map((m) => `${path.relative(dir.dir, result.filePath)}: ${m.message}`),
  );
}

describe("local/no-import-cycle", () => {
  it("reports every module of a cycle, type-only imports included, with the path around it", async () => {
    const messages = await lint({
      "src/a.ts": 'import { b } from "./b.js";\nexport const a = () => b;\n',
      "src/b.ts": 'import type { C } from "./deep/c.js";\nexport const b = 1 as unknown as C;\n',
      "src/deep/c.ts": 'import { a } from "../a.js";\nexport type C = typeof a;\n',
    });
    expect(messages).toHaveLength(3);
    expect(messages[0]).toBe(
      "src/a.ts: import cycle: a.ts → b.ts → deep/c.ts → a.ts. Move what both sides need into a module that neither imports.",
    );
  });

  it("accepts a graph without cycles, and ignores tests", async () => {
    const messages = await lint({
      "src/a.ts": 'import { b } from "./b.js";\nexport const a = b;\n',
      "src/b.ts": "export const b = 1;\n",
      "src/b.test.ts": 'import { a } from "./a.js";\nexport const t = a;\n',
    });
    expect(messages).toEqual([]);
  });
});
