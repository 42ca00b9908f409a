import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Monitor } from "../../src/monitor/monitor.js";
import { daprBody, wf } from "./events.js";

const RULES = new URL("../../examples/monitor/alert-rules.yaml", import.meta.url);
let monitor: Monitor;
let url: string;

beforeAll(async () => {
  monitor = new Monitor({ listen: "127.0.0.1:0", db: ":memory:" });
  url = (await monitor.start()).url;
  await fetch(`${url}/events`, { method: "POST", body: daprBody(wf.started("m1", "m-1", Date.now())) });
});

afterAll(async () => {
  await monitor.close();
});

it("the example alert rules use only metrics the monitor exports", async () => {
  const rules = (
    parse(readFileSync(RULES, "utf8")) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }
  ).groups.flatMap((group) => group.rules);
  expect(rules.map((rule) => rule.alert)).toEqual([
    "DaprWorkflowFailed",
    "DaprWorkflowStuck",
    "DaprMonitorNotIngesting",
  ]);
  const exported = new Set(
    [...(await (await fetch(`${url}/metrics`)).text()).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]),
  );
  const used = rules.flatMap((rule) => [...rule.expr.matchAll(/dapr_monitor_\w+/g)].map((match) => match[0]));
  expect(used.length).toBeGreaterThan(0);
  expect(used.filter((name) => !exported.has(name))).toEqual([]);
});
