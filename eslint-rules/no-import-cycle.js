// ESLint rule `local/no-import-cycle`: a module may not import (directly or through others) a
// module that imports it back. The graph is built once per lint run from the relative imports of
// every .ts file under the linted file's source root (type-only imports count: they tie modules
// together as much as value imports do). Test files are not part of the graph.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^"';]*?\bfrom\s+["'](\.{1,2}\/[^"']+)["']/g;

/** @type {Map<string, Map<string, string[]>>} */
const graphs = new Map();

function sourceFiles(root) {
  return readdirSync(root, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

function graphOf(root) {
  let graph = graphs.get(root);
  if (graph === undefined) {
    graph = new Map();
    for (const file of sourceFiles(root)) {
      const text = readFileSync(file, "utf8");
      graph.set(
        file,
        [...text.matchAll(IMPORT)].map((m) => path.resolve(path.dirname(file), m[1].replace(/\.js$/, ".ts"))),
      );
    }
    graphs.set(root, graph);
  }
  return graph;
}

/** A path of imports from `start` back to `start`, or undefined. */
function cycleThrough(graph, start) {
  const seen = new Set();
  const walk = (file, trail) => {
    for (const target of graph.get(file) ?? []) {
      if (target === start) return [...trail, target];
      if (seen.has(target) || !graph.has(target)) continue;
      seen.add(target);
      const found = walk(target, [...trail, target]);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  return walk(start, [start]);
}

export const noImportCycle = {
  meta: {
    type: "problem",
    docs: { description: "disallow import cycles between source modules" },
    schema: [{ type: "object", properties: { root: { type: "string" } }, additionalProperties: false }],
    messages: { cycle: "import cycle: {{cycle}}. Move what both sides need into a module that neither imports." },
  },
  create(context) {
    const root = path.resolve(context.cwd, context.options[0]?.root ?? "src");
    const file = context.filename;
    if (!file.startsWith(root + path.sep) || file.endsWith(".test.ts")) return {};
    return {
      Program(node) {
        const cycle = cycleThrough(graphOf(root), file);
        if (cycle !== undefined) {
          context.report({
            node,
            messageId: "cycle",
            data: { cycle: cycle.map((f) => path.relative(root, f)).join(" → ") },
          });
        }
      },
    };
  },
};
