import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { CloudEventRecord } from "../cloudevents/record.js";
import type { RouteFilter } from "../config/bridge-config.js";
import { describeValue } from "../config/describe-value.js";
import { attributeGetter, type AttributeGetter } from "./attributes.js";

/** A compiled filter: true when the event matches. Allocates nothing per call. */
export type RecordPredicate = (record: CloudEventRecord) => boolean;

/** The filter dialects of the CloudEvents Subscriptions API that the bridge supports. */
export const FILTER_DIALECTS = ["exact", "prefix", "suffix", "all", "any", "not"] as const;

/** One thing wrong with a filter: where (path below the filter), what was expected, what was given. */
export interface FilterProblem {
  readonly path: readonly (string | number)[];
  readonly expected: string;
  /** The given value, described for a message (see {@link describeValue}). */
  readonly got: string;
}

const ATTRIBUTE_NAME = /^[a-z0-9]+$/;
const DIALECT_LIST = FILTER_DIALECTS.join(", ");

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Checks that a value is a well-formed {@link RouteFilter}: exactly one dialect per object, non-empty
 * attribute maps with lower-case attribute names and string values, non-empty `all`/`any` lists.
 * @returns every problem found (empty when the filter is valid), paths relative to the filter.
 */
export function filterProblems(value: unknown, path: readonly (string | number)[] = []): FilterProblem[] {
  if (!isMapping(value)) {
    return [{ path, expected: `a filter (a mapping with one of ${DIALECT_LIST})`, got: describeValue(value) }];
  }
  const keys = Object.keys(value);
  const unknown = keys.filter((k) => !(FILTER_DIALECTS as readonly string[]).includes(k));
  if (unknown.length > 0) {
    return unknown.map((k) => ({
      path: [...path, k],
      expected: `a filter dialect (one of ${DIALECT_LIST})`,
      got: `unknown dialect "${k}"`,
    }));
  }
  const [dialect, ...more] = keys;
  if (dialect === undefined || more.length > 0) {
    const got = dialect === undefined ? "none" : keys.join(" and ");
    return [{ path, expected: `exactly one dialect per filter (nest two with "all")`, got }];
  }
  const body = value[dialect];
  const at = [...path, dialect];
  switch (dialect) {
    case "exact":
    case "prefix":
    case "suffix":
      return attributeMapProblems(body, at);
    case "all":
    case "any":
      if (!Array.isArray(body) || body.length === 0) {
        return [{ path: at, expected: "a non-empty list of filters", got: describeValue(body) }];
      }
      return body.flatMap((inner: unknown, i) => filterProblems(inner, [...at, i]));
    default:
      return filterProblems(body, at);
  }
}

function attributeMapProblems(body: unknown, path: readonly (string | number)[]): FilterProblem[] {
  if (!isMapping(body) || Object.keys(body).length === 0) {
    return [{ path, expected: "a non-empty mapping of attribute name to value", got: describeValue(body) }];
  }
  const problems: FilterProblem[] = [];
  for (const [name, expected] of Object.entries(body)) {
    if (!ATTRIBUTE_NAME.test(name)) {
      problems.push({
        path: [...path, name],
        expected: "a lower-case CloudEvents attribute name (a-z, 0-9)",
        got: describeValue(name),
      });
    } else if (typeof expected !== "string") {
      problems.push({
        path: [...path, name],
        expected: "a string value (quote numbers and booleans)",
        got: describeValue(expected),
      });
    }
  }
  return problems;
}

/**
 * Compiles a filter once into a predicate. Semantics of the CloudEvents Subscriptions API:
 * `exact`/`prefix`/`suffix` match when every listed attribute is present and matches
 * (case-sensitive); a missing attribute makes them false, so `not` over them is true; `all` is
 * true when every nested filter is, `any` when one is, `not` negates its filter.
 * @param where names the filter in errors, e.g. `routes[2] "alerts" filter`.
 * @throws BridgeError InvalidConfig listing every problem of a malformed filter.
 */
export function compileFilter(filter: RouteFilter, where = "filter"): RecordPredicate {
  const problems = filterProblems(filter);
  if (problems.length > 0) {
    const lines = problems.map((p) => `${where}${renderSubPath(p.path)}: expected ${p.expected}, got ${p.got}`);
    throw new BridgeError(ErrorCode.InvalidConfig, lines.join("\n"));
  }
  return compileValid(filter);
}

function compileValid(filter: RouteFilter): RecordPredicate {
  if ("exact" in filter) return compileMatch(filter.exact, (actual, wanted) => actual === wanted);
  if ("prefix" in filter) return compileMatch(filter.prefix, (actual, wanted) => actual.startsWith(wanted));
  if ("suffix" in filter) return compileMatch(filter.suffix, (actual, wanted) => actual.endsWith(wanted));
  if ("all" in filter) {
    const inner = filter.all.map(compileValid);
    // Indexed loops: `every`/`some` with an arrow would allocate a closure per event.
    return (r) => {
      for (let i = 0; i < inner.length; i++) if (inner[i]?.(r) !== true) return false;
      return true;
    };
  }
  if ("any" in filter) {
    const inner = filter.any.map(compileValid);
    return (r) => {
      for (let i = 0; i < inner.length; i++) if (inner[i]?.(r) === true) return true;
      return false;
    };
  }
  const inner = compileValid(filter.not);
  return (r) => !inner(r);
}

function compileMatch(
  attributes: Readonly<Record<string, string>>,
  test: (actual: string, wanted: string) => boolean,
): RecordPredicate {
  const getters: AttributeGetter[] = [];
  const wanted: string[] = [];
  for (const [name, value] of Object.entries(attributes)) {
    getters.push(attributeGetter(name));
    wanted.push(value);
  }
  const [onlyGetter] = getters;
  const [onlyWanted] = wanted;
  if (getters.length === 1 && onlyGetter !== undefined && onlyWanted !== undefined) {
    return (r) => {
      const actual = onlyGetter(r);
      return actual !== undefined && test(actual, onlyWanted);
    };
  }
  return (r) => {
    for (let i = 0; i < getters.length; i++) {
      const actual = getters[i]?.(r);
      if (actual === undefined || !test(actual, wanted[i] ?? "")) return false;
    }
    return true;
  };
}

/** Renders a path below a filter as `.all[0].exact.type`. */
export function renderSubPath(path: readonly (string | number)[]): string {
  return path.map((p) => (typeof p === "number" ? `[${p}]` : `.${p}`)).join("");
}
