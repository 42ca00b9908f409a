import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: ReadonlySet<string> = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
// Go's float syntax (strconv.ParseFloat, which Prometheus uses): infinity and NaN in any case.
const VALUE = /^(?:[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|[+-]?inf(?:inity)?|nan)$/i;
const TIMESTAMP = /^-?\d+$/;

/**
 * Parses the Prometheus text exposition format (0.0.4) into one entry per sample. Keys are
 * the series in canonical form: the metric name, then its labels in the order written as
 * `{a="x",b="y"}` (values escaped as in the format, no spaces, no trailing comma; no braces
 * without labels), for example `dapr_event_bridge_events_published_total{pubsub="pubsub",topic="t"}`.
 *
 * Strict, for tests: a malformed line, an unknown `# TYPE`, a second `# TYPE` for a metric,
 * or a series given twice throws a BridgeError (`undecodable`) naming the line.
 */
export function parsePrometheusText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const fail = (what: string): never => {
      throw new BridgeError(
        ErrorCode.Undecodable,
        `Prometheus text, line ${index + 1}: ${what}: ${JSON.stringify(line)}`,
      );
    };
    if (line.trim() === "") return;
    if (line.startsWith("#")) {
      const parts = line.slice(1).trim().split(/\s+/);
      if (parts[0] === "TYPE") {
        const [, name, type, ...rest] = parts;
        if (name === undefined || !METRIC_NAME.test(name)) fail("a # TYPE line without a valid metric name");
        if (type === undefined || !TYPES.has(type) || rest.length > 0) fail("a # TYPE line without a known type");
        if (typed.has(name as string)) fail(`a second # TYPE for ${String(name)}`);
        typed.add(name as string);
      } else if (parts[0] === "HELP") {
        if (parts[1] === undefined || !METRIC_NAME.test(parts[1])) fail("a # HELP line without a valid metric name");
      }
      return;
    }
    const { series, rest } = parseSeries(line, fail);
    const fields = rest.trim().split(/\s+/);
    const [value, timestamp, ...extra] = fields;
    if (value === undefined || !VALUE.test(value)) fail("expected a sample value after the series");
    if (extra.length > 0 || (timestamp !== undefined && !TIMESTAMP.test(timestamp)))
      fail("unexpected text after the value");
    if (!/^\s/.test(rest)) fail("expected white space between the series and its value");
    if (samples.has(series)) fail(`series ${series} appears twice`);
    samples.set(series, parseValue(value as string));
  });
  return samples;
}

function parseValue(value: string): number {
  const lower = value.toLowerCase();
  if (lower === "nan") return NaN;
  if (lower.includes("inf")) return lower.startsWith("-") ? -Infinity : Infinity;
  return Number(value);
}

/** Reads `name` or `name{labels}` from the start of a sample line. */
function parseSeries(line: string, fail: (what: string) => never): { series: string; rest: string } {
  const nameEnd = line.search(/[{\s]/);
  const name = nameEnd < 0 ? line : line.slice(0, nameEnd);
  if (!METRIC_NAME.test(name)) fail("expected a metric name");
  if (line[nameEnd] !== "{") return { series: name, rest: line.slice(name.length) };
  const labels: string[] = [];
  const seen = new Set<string>();
  let i = nameEnd + 1;
  for (;;) {
    while (line[i] === " ") i++;
    if (line[i] === "}") break;
    const eq = line.indexOf("=", i);
    const label = eq < 0 ? "" : line.slice(i, eq).trim();
    if (!LABEL_NAME.test(label)) fail("expected a label name");
    if (seen.has(label)) fail(`label ${label} given twice`);
    seen.add(label);
    i = eq + 1;
    while (line[i] === " ") i++;
    if (line[i] !== '"') fail(`expected a quoted value for label ${label}`);
    let value = "";
    i++;
    for (;;) {
      const c = line[i];
      if (c === undefined) fail(`unterminated value of label ${label}`);
      if (c === '"') break;
      if (c === "\\") {
        const next = line[i + 1];
        if (next === "\\" || next === '"') value += next;
        else if (next === "n") value += "\n";
        else fail(`bad escape in the value of label ${label}`);
        i += 2;
      } else {
        value += c;
        i++;
      }
    }
    labels.push(`${label}="${escapeLabelValue(value)}"`);
    i++;
    while (line[i] === " ") i++;
    if (line[i] === ",") i++;
    else if (line[i] !== "}") fail("expected , or } after a label");
  }
  const series = labels.length === 0 ? name : `${name}{${labels.join(",")}}`;
  return { series, rest: line.slice(i + 1) };
}

/** Escapes a label value as the text format writes it (backslash, double quote, new line). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}
