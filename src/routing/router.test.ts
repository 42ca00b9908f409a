import { describe, expect, it } from "vitest";
import type { CloudEventRecord } from "../cloudevents/record.js";
import type { BridgeConfig, RouteConfig, RouteFilter } from "../config/bridge-config.js";
import { resolveConfig } from "../config/load.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { compileFilter } from "./filter.js";
import { Router } from "./router.js";

function record(overrides: Partial<CloudEventRecord> = {}): CloudEventRecord {
  return {
    id: "0190a0a0-0000-7000-8000-000000000000",
    source: "/dapr/default/orders/workflows/OrderWorkflow",
    specversion: "1.0",
    type: "io.dapr.workflows.failed",
    subject: "order-42",
    time: { seconds: 1_710_408_413, nanos: 589_000_000 },
    datacontenttype: "application/protobuf",
    dataschema: "https://type.googleapis.com/dapr.proto.events.v1alpha1.WorkflowsEvent",
    extensions: { workflowstatus: "failed", daprappid: "orders", partitionkey: "order-42", attempt: 3, replay: false },
    data: { kind: "proto", typeUrl: "t", value: new Uint8Array() },
    ...overrides,
  };
}

const failed = record();
const actor = record({
  source: "/dapr/default/cart/actors/Cart",
  type: "io.dapr.actors.activated",
  subject: "c1",
  extensions: { daprappid: "cart", partitionkey: "Cart/c1" },
});
const bare = record({ type: "io.dapr.workflows.started", extensions: {} });
const minimal: CloudEventRecord = {
  id: "m",
  source: "/s",
  specversion: "1.0",
  type: "t",
  extensions: {},
  data: bare.data,
};

describe("compileFilter", () => {
  const cases: [string, RouteFilter, CloudEventRecord, boolean][] = [
    ["exact type", { exact: { type: "io.dapr.workflows.failed" } }, failed, true],
    ["exact is case-sensitive", { exact: { type: "IO.DAPR.WORKFLOWS.FAILED" } }, failed, false],
    ["exact needs every attribute", { exact: { type: "io.dapr.workflows.failed", daprappid: "cart" } }, failed, false],
    ["exact, two attributes", { exact: { type: "io.dapr.workflows.failed", daprappid: "orders" } }, failed, true],
    ["prefix", { prefix: { type: "io.dapr.actors." } }, actor, true],
    ["prefix no match", { prefix: { type: "io.dapr.actors." } }, failed, false],
    ["suffix", { suffix: { type: ".failed" } }, failed, true],
    ["suffix no match", { suffix: { source: "/Cart" } }, failed, false],
    ["extension", { exact: { workflowstatus: "failed" } }, failed, true],
    ["numeric extension as text", { exact: { attempt: "3" } }, failed, true],
    ["boolean extension as text", { exact: { replay: "false" } }, failed, true],
    ["missing extension never matches exact", { exact: { workflowstatus: "failed" } }, actor, false],
    ["missing extension never matches prefix ''", { prefix: { workflowstatus: "" } }, actor, false],
    ["present extension matches prefix ''", { prefix: { workflowstatus: "" } }, failed, true],
    ["missing subject", { prefix: { subject: "" } }, minimal, false],
    ["missing time", { prefix: { time: "2024" } }, minimal, false],
    ["time as RFC 3339", { exact: { time: "2024-03-14T09:26:53.589Z" } }, failed, true],
    ["time prefix", { prefix: { time: "2024-03-14T09" } }, failed, true],
    [
      "time out of range counts as missing",
      { prefix: { time: "" } },
      record({ time: { seconds: 1e17, nanos: 0 } }),
      false,
    ],
    ["Object.prototype names are not attributes", { prefix: { constructor: "" } }, failed, false],
    ["not of a non-match", { not: { exact: { type: "io.dapr.actors.activated" } } }, failed, true],
    ["not of a match", { not: { exact: { type: "io.dapr.workflows.failed" } } }, failed, false],
    ["not of a missing attribute is true", { not: { exact: { workflowstatus: "failed" } } }, actor, true],
    ["all", { all: [{ prefix: { type: "io.dapr.workflows." } }, { exact: { daprappid: "orders" } }] }, failed, true],
    [
      "all with one false",
      { all: [{ prefix: { type: "io.dapr.workflows." } }, { exact: { daprappid: "cart" } }] },
      failed,
      false,
    ],
    ["any", { any: [{ exact: { daprappid: "cart" } }, { suffix: { type: ".failed" } }] }, failed, true],
    ["any all false", { any: [{ exact: { daprappid: "cart" } }, { suffix: { type: ".started" } }] }, failed, false],
    [
      "nested all/any/not",
      {
        all: [
          { any: [{ exact: { daprappid: "cart" } }, { exact: { daprappid: "orders" } }] },
          { not: { any: [{ suffix: { type: ".started" } }, { exact: { subject: "x" } }] } },
        ],
      },
      failed,
      true,
    ],
    [
      "nested all/any/not, negated branch matches",
      {
        all: [
          { any: [{ exact: { daprappid: "orders" } }] },
          { not: { all: [{ suffix: { type: ".failed" } }, { exact: { subject: "order-42" } }] } },
        ],
      },
      failed,
      false,
    ],
  ];

  it.each(cases)("%s", (_name, filter, event, expected) => {
    expect(compileFilter(filter)(event)).toBe(expected);
  });

  it.each([
    ["no dialect", {}, /expected exactly one dialect per filter.*got none/],
    ["two dialects", { exact: { type: "a" }, prefix: { type: "b" } }, /got exact and prefix/],
    [
      "unknown dialect",
      { regex: { type: "a" } },
      /filter\.regex: expected a filter dialect .*got unknown dialect "regex"/,
    ],
    ["empty map", { exact: {} }, /filter\.exact: expected a non-empty mapping/],
    ["empty all", { all: [] }, /filter\.all: expected a non-empty list of filters, got an empty list/],
    [
      "upper-case attribute",
      { not: { exact: { Type: "a" } } },
      /filter\.not\.exact\.Type: expected a lower-case CloudEvents attribute name/,
    ],
    [
      "non-string value",
      { any: [{ exact: { type: "a" } }, { exact: { attempt: 3 } }] },
      /filter\.any\[1\]\.exact\.attempt: expected a string value/,
    ],
  ])("rejects %s", (_name, filter, message) => {
    let error: unknown;
    try {
      compileFilter(filter as unknown as RouteFilter);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe(ErrorCode.InvalidConfig);
    expect((error as BridgeError).message).toMatch(message);
  });
});

function router(routes: readonly RouteConfig[], overrides: Partial<BridgeConfig> = {}): Router {
  return new Router({ routes, pubsub: "pubsub", topic: "dapr-events", format: "protobuf", ...overrides });
}

describe("Router", () => {
  const routes: RouteConfig[] = [
    { name: "alerts", filter: { exact: { workflowstatus: "failed" } }, topic: "workflow-alerts", format: "json" },
    { name: "also-failed", filter: { suffix: { type: ".failed" } }, topic: "never" },
    { filter: { prefix: { type: "io.dapr.actors." } }, pubsub: "kafka", topic: "actor-events" },
    { name: "no-activities", filter: { prefix: { type: "io.dapr.workflows.activity." } }, drop: true },
  ];
  const r = router(routes);

  it("takes the first matching route, filling unset targets from the config", () => {
    expect(r.route(failed)).toEqual({
      kind: "publish",
      pubsub: "pubsub",
      topic: "workflow-alerts",
      format: "json",
      routeName: "alerts",
    });
    expect(r.route(actor)).toEqual({
      kind: "publish",
      pubsub: "kafka",
      topic: "actor-events",
      format: "protobuf",
      routeName: "route-2",
    });
  });

  it("drops on a drop route", () => {
    expect(r.route(record({ type: "io.dapr.workflows.activity.completed", extensions: {} }))).toEqual({
      kind: "drop",
      routeName: "no-activities",
    });
  });

  it("falls back to the default route", () => {
    expect(r.route(bare)).toEqual({
      kind: "publish",
      pubsub: "pubsub",
      topic: "dapr-events",
      format: "protobuf",
      routeName: "default",
    });
    expect(router([], { topic: "t", format: "json" }).route(failed)).toEqual({
      kind: "publish",
      pubsub: "pubsub",
      topic: "t",
      format: "json",
      routeName: "default",
    });
  });

  it("matches everything on a route without a filter", () => {
    expect(router([{ name: "all", topic: "everything" }, ...routes]).route(failed).routeName).toBe("all");
  });

  it("returns the same pre-built decision object for every event of a route", () => {
    expect(r.route(failed)).toBe(r.route(record({ id: "other" })));
    expect(Object.isFrozen(r.route(bare))).toBe(true);
  });

  it("lists route names for metrics", () => {
    expect(r.routeNames).toEqual(["alerts", "also-failed", "route-2", "no-activities", "default"]);
  });

  it("names the route of a malformed filter", () => {
    expect(() => router([{ topic: "x" }, { name: "bad", filter: { any: [] } }])).toThrow(
      /routes\[1\] "bad" filter\.any: expected a non-empty list/,
    );
  });

  it("routes with the example configuration", () => {
    const config = resolveConfig({
      flags: {},
      env: {},
      file: new URL("../../docs/bridge.example.yaml", import.meta.url).pathname,
    });
    const example = new Router(config);
    expect(example.route(failed)).toMatchObject({
      kind: "publish",
      topic: "workflow-alerts",
      routeName: "failed-workflows",
    });
    expect(example.route(actor)).toMatchObject({ kind: "publish", topic: "actor-events", routeName: "actors" });
    expect(
      example.route(
        record({ type: "io.dapr.workflows.activity.scheduled", extensions: { workflowstatus: "running" } }),
      ),
    ).toEqual({ kind: "drop", routeName: "no-activities" });
    expect(example.route(bare)).toMatchObject({ kind: "publish", topic: "dapr-events", routeName: "default" });
  });
});
