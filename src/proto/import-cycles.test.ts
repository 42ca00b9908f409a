import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

// STYLE.md 13: no import cycles. Until the lint rule (import/no-cycle) covers the whole tree,
// this checks the protobuf path: the wire module, the conversion and the consumer helpers.
const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const FOLDERS = ["proto", "cloudevents", "consumer"];
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^"';]*?\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The relative imports of each file, as .ts paths: type-only imports count too. */
function importGraph(files: readonly string[]): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    const targets = [...text.matchAll(IMPORT)].map((m) => path.resolve(path.dirname(file), (m[1] ?? "").replace(/\.js$/, ".ts")));
    graph.set(file, targets);
  }
  return graph;
}

/** Every cycle found by a depth-first walk, as the list of files around it. */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, "open");
    stack.push(file);
    for (const target of graph.get(file) ?? []) {
      if (state.get(target) === "open") found.push([...stack.slice(stack.indexOf(target)), target]);
      else if (!state.has(target) && graph.has(target)) visit(target);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found.map((cycle) => cycle.map((file) => path.relative(SRC, file)));
}

describe("imports of src/proto, src/cloudevents and src/consumer", () => {
  it("form no cycle", () => {
    const files = FOLDERS.flatMap((folder) => sourceFiles(path.join(SRC, folder)));
    expect(files.length).toBeGreaterThan(10);
    expect(cycles(importGraph(files))).toEqual([]);
  });
});
