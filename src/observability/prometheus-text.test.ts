import { describe, expect, it } from "vitest";
import { BridgeError } from "../errors/bridge-error.js";
import { parsePrometheusText } from "./prometheus-text.js";

describe("parsePrometheusText", () => {
  it("reads samples with and without labels, in canonical form", () => {
    const text = [
      "# HELP up Whether it is up.",
      "# TYPE up gauge",
      "up 1",
      "# a plain comment",
      "",
      "# TYPE requests_total counter",
      'requests_total{code="200",path="/a b"} 12 1700000000000',
      'requests_total{ code = "500" , path="/x\\"y\\\\z\\n",} 3e2',
      "# TYPE latency histogram",
      'latency_bucket{le="0.5"} 2',
      'latency_bucket{le="+Inf"} 4',
      "latency_sum 1.25",
      "latency_count 4",
      "lag NaN",
      "lag2 Nan",
      "neg -Inf",
      "empty_labels{} 7",
    ].join("\n");
    const samples = parsePrometheusText(text);
    expect(samples.get("up")).toBe(1);
    expect(samples.get('requests_total{code="200",path="/a b"}')).toBe(12);
    expect(samples.get('requests_total{code="500",path="/x\\"y\\\\z\\n"}')).toBe(300);
    expect(samples.get('latency_bucket{le="+Inf"}')).toBe(4);
    expect(samples.get("latency_sum")).toBe(1.25);
    expect(samples.get("lag")).toBeNaN();
    expect(samples.get("lag2")).toBeNaN();
    expect(samples.get("neg")).toBe(-Infinity);
    expect(samples.get("empty_labels")).toBe(7);
    expect(samples.size).toBe(11);
  });

  it.each([
    ["a value that is not a number", "up yes"],
    ["no value", "up"],
    ["a bad metric name", "9up 1"],
    ["an unterminated label value", 'up{a="x} 1'],
    ["an unquoted label value", "up{a=x} 1"],
    ["a bad escape", 'up{a="\\t"} 1'],
    ["a label given twice", 'up{a="1",a="2"} 1'],
    ["missing comma between labels", 'up{a="1" b="2"} 1'],
    ["text after the timestamp", "up 1 2 3"],
    ["a non-integer timestamp", "up 1 2.5"],
    ["an unknown type", "# TYPE up thing"],
    ["a second TYPE", "# TYPE up gauge\n# TYPE up gauge"],
    ["a series twice", "up 1\nup 2"],
    ["no space before the value", 'up{a="1"}1'],
  ])("rejects %s", (_what, text) => {
    expect(() => parsePrometheusText(text)).toThrow(BridgeError);
  });

  it("names the offending line", () => {
    expect(() => parsePrometheusText("up 1\nbroken line here")).toThrow(/line 2/);
  });
});
