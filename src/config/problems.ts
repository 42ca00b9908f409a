import type { z } from "zod";
import { describeValue } from "./describe-value.js";

/** One thing wrong with the configuration. */
export interface ConfigProblem {
  /** Where the value came from, e.g. `flag --max-attempts`, `env BRIDGE_LISTEN`, `file bridge.yaml key retry.maxAttempts (line 4)`. */
  readonly where: string;
  /** What a valid value looks like, e.g. `a number >= 1`. */
  readonly expected: string;
  /** What was given, described (strings quoted). */
  readonly got: string;
}

/** Renders a problem as one line: `<where>: expected <...>, got <...>`. */
export function renderProblem(problem: ConfigProblem): string {
  return `${problem.where}: expected ${problem.expected}, got ${problem.got}`;
}

/** Renders a key path as `retry.maxAttempts` or `routes[0].filter.exact.type`. */
export function renderPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    out += typeof part === "number" ? `[${part}]` : out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

function bound(origin: string, cmp: string, limit: number | bigint): string {
  switch (origin) {
    case "string":
      return limit === 1 && cmp === ">=" ? "a non-empty string" : `a string of length ${cmp} ${limit}`;
    case "array":
    case "set":
      return `a list with ${cmp} ${limit} items`;
    default:
      return `a number ${cmp} ${limit}`;
  }
}

/** Suggests the closest known key, or lists the keys of a small mapping. */
function keyHint(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const d = candidate.toLowerCase() === key.toLowerCase() ? 0 : editDistance(candidate, key);
    if (d < bestDistance) [best, bestDistance] = [candidate, d];
  }
  if (best !== undefined) return `(did you mean "${best}"?)`;
  if (known.length > 0 && known.length <= 8) return `(one of ${known.join(", ")})`;
  return "(see docs/configuration.md)";
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost);
    }
    row = next;
  }
  return row[b.length] ?? 0;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  int: "an integer",
  number: "a number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping",
};

/**
 * Turns one zod issue into problems (an unknown-keys issue gives one problem per key).
 * Issues must come from a parse with `reportInput: true` so the given value can be shown.
 * @param whereOf names the source of the value at a key path.
 */
export function issueProblems(
  issue: z.core.$ZodIssue,
  whereOf: (path: readonly PropertyKey[]) => string,
  knownKeys: (path: readonly PropertyKey[]) => readonly string[] = () => [],
): ConfigProblem[] {
  const where = whereOf(issue.path);
  const got = describeValue(issue.input);
  switch (issue.code) {
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        where: whereOf([...issue.path, key]),
        expected: `a known key ${keyHint(key, knownKeys(issue.path))}`,
        got: `unknown key ${JSON.stringify(key)}`,
      }));
    case "invalid_type": {
      const expected = TYPE_NAMES[issue.expected] ?? `a ${issue.expected}`;
      // An integer check reports "int" for a non-integer number.
      return [{ where, expected, got }];
    }
    case "too_small":
      return [{ where, expected: bound(issue.origin, issue.inclusive === false ? ">" : ">=", issue.minimum), got }];
    case "too_big":
      return [{ where, expected: bound(issue.origin, issue.inclusive === false ? "<" : "<=", issue.maximum), got }];
    case "invalid_value":
      return [{ where, expected: `one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`, got }];
    case "custom": {
      // Custom issues carry the expectation as their message; some give an already described input.
      const described = issue.params?.["described"] === true && typeof issue.input === "string";
      return [{ where, expected: issue.message, got: described ? String(issue.input) : got }];
    }
    case "invalid_union": {
      // Only `metricsListen` is a union ("" or HOST:PORT): report the non-empty branch's expectation.
      const inner = issue.errors.flat().find((e) => e.code === "custom");
      return [{ where, expected: inner === undefined ? issue.message : `"" or ${inner.message}`, got }];
    }
    default:
      return [{ where, expected: issue.message, got }];
  }
}
