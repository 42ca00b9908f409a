import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createInterface } from "node:readline";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Delivery } from "../src/consumer/index.js";
import { bridgeType, TypeName } from "../src/proto/protos.js";
import { createHandler, type Alert } from "../examples/subscriber/typed-subscriber.mjs";
import { captureFixtures, FIXTURE_EVENTS, writeFixtures, type FixtureEntry } from "./fixtures/capture.js";

const FIXTURES = new URL("./fixtures/", import.meta.url);
const SUBSCRIBER = new URL("../examples/subscriber/typed-subscriber.mjs", import.meta.url);

beforeAll(async () => {
  // Regenerate the committed fixtures: UPDATE_FIXTURES=1 npx vitest run test/example-subscriber.test.ts
  if (process.env["UPDATE_FIXTURES"] === "1") writeFixtures(FIXTURES.pathname, await captureFixtures());
}, 60_000);

function manifest(): FixtureEntry[] {
  return JSON.parse(readFileSync(new URL("manifest.json", FIXTURES), "utf8")) as FixtureEntry[];
}
function fixtureBytes(entry: FixtureEntry): Buffer {
  return readFileSync(new URL(entry.file, FIXTURES));
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

interface Example {
  readonly url: string;
  readonly deliveries: Delivery[];
  readonly alerts: Alert[];
  /** What the example reported as problems (on stderr by default). */
  readonly problems: Array<Record<string, unknown>>;
  readonly dashboard: ReturnType<typeof createHandler>["dashboard"];
}

/** Mounts the example's handler on a server on loopback port 0. */
async function startExample(): Promise<Example> {
  const deliveries: Delivery[] = [];
  const alerts: Alert[] = [];
  const problems: Array<Record<string, unknown>> = [];
  const { handler, dashboard } = createHandler({
    onDelivery: (d) => deliveries.push(d),
    onAlert: (a) => void alerts.push(a),
    onProblem: (p) => problems.push(p),
  });
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, deliveries, alerts, problems, dashboard };
}

/** POSTs a payload as Dapr (or a forwarder) would and returns the app's answer. */
async function post(
  url: string,
  body: Uint8Array,
  contentType: string,
  path = "/events",
): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${url}${path}`, { method: "POST", headers: { "content-type": contentType }, body });
  return { status: response.status, body: await response.json() };
}

/** The inner event of a fixture frame, decoded by protobufjs reflection (independent of the consumer helper). */
function expectedEvent(name: keyof typeof FIXTURE_EVENTS): Record<string, unknown> {
  const request = bridgeType(TypeName.EventRequest).decode(FIXTURE_EVENTS[name].frame());
  const object = bridgeType(TypeName.EventRequest).toObject(request, { longs: Number }) as {
    event: { workflow?: object; actor?: object };
  };
  return (object.event.workflow ?? object.event.actor) as Record<string, unknown>;
}

describe("the example subscriber with payloads captured from the bridge", () => {
  it("has a fixture of every shape for both events", () => {
    const entries = manifest();
    expect(entries.map((e) => `${e.event}/${e.shape}`).sort()).toEqual([
      "actor-invoked/dapr-envelope",
      "actor-invoked/json",
      "actor-invoked/protobuf",
      "workflow-failed/dapr-envelope",
      "workflow-failed/json",
      "workflow-failed/protobuf",
    ]);
    for (const entry of entries) expect(existsSync(new URL(entry.file, FIXTURES)), entry.file).toBe(true);
  });

  it("decodes each captured payload, answers SUCCESS, alerts on the failed workflow and counts the rest", async () => {
    const app = await startExample();
    for (const entry of manifest()) {
      const before = app.deliveries.length;
      const answer = await post(app.url, fixtureBytes(entry), entry.contentType);
      expect(answer, entry.file).toEqual({ status: 200, body: { status: "SUCCESS" } });
      if (app.deliveries.length === before) {
        // The protobuf bytes and their Dapr envelope carry the same CloudEvent: the second is a duplicate.
        expect(entry.shape === "dapr-envelope" || entry.shape === "protobuf", `${entry.file} was deduplicated`).toBe(
          true,
        );
        continue;
      }
      const delivery = app.deliveries.at(-1) as Delivery;
      expect(delivery.shape, entry.file).toBe(entry.shape);
      expect(delivery.type).toBe(entry.type);
      expect(delivery.id).toBe(entry.id);
      expect(delivery.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/);
      expect(delivery.source).toBe(entry.source);
      expect(delivery.subject).toBe(entry.subject);
      expect(delivery.extensions["daprappid"]).toBe("order-app");
      expect(delivery.extensions["daprnamespace"]).toBe("prod");
      if (delivery.type === "io.dapr.bridge.undecodable") throw new Error(`${entry.file} decoded as undecodable`);
      // The same event whatever the shape: proto3 JSON of the frame's inner message.
      const inner = expectedEvent(entry.event as keyof typeof FIXTURE_EVENTS);
      if (entry.event === "workflow-failed") {
        const event = delivery.event as {
          metadata?: { instanceId?: string; name?: string };
          executionFailed?: { failureDetails?: { errorMessage?: string } };
        };
        const failed = inner["execution_failed"] as { failure_details?: { error_message?: string } };
        expect(event.metadata?.instanceId).toBe("order-1042");
        expect(event.metadata?.name).toBe("OrderProcessingWorkflow");
        expect(event.executionFailed?.failureDetails?.errorMessage).toBe(failed.failure_details?.error_message);
      } else {
        const invoked = inner["invoked"] as { actor: object; method_name: string; caller_id: string };
        expect(delivery.event).toEqual({
          invoked: {
            actor: invoked.actor,
            methodName: invoked.method_name,
            callerType: "OrderActor",
            callerId: invoked.caller_id,
          },
        });
      }
    }
    // One CloudEvent per event and format: the envelope repeats the protobuf bytes' id.
    const byEvent = (name: string): Delivery[] =>
      app.deliveries.filter((d) => d.subject === FIXTURE_EVENTS[name as keyof typeof FIXTURE_EVENTS].subject);
    for (const name of Object.keys(FIXTURE_EVENTS)) {
      const [first, second] = byEvent(name);
      expect(byEvent(name)).toHaveLength(2);
      expect(first && "event" in first ? first.event : undefined).toEqual(
        second && "event" in second ? second.event : undefined,
      );
    }
    expect(app.alerts).toHaveLength(2);
    for (const alert of app.alerts) {
      expect(alert).toMatchObject({ instanceId: "order-1042", workflow: "OrderProcessingWorkflow" });
      expect(alert.error.length).toBeGreaterThan(0);
    }
    expect(app.dashboard().counts).toEqual({ "io.dapr.actors.invoked": 2, "io.dapr.workflows.failed": 2 });
    expect(app.problems).toEqual([]);
  });

  it("answers DROP to a body that is not from the bridge, and 404 elsewhere", async () => {
    const app = await startExample();
    expect(await post(app.url, Buffer.from("{not json"), "application/json")).toEqual({
      status: 200,
      body: { status: "DROP" },
    });
    expect(await post(app.url, Buffer.from([0xff, 0xff, 0xff]), "application/octet-stream")).toEqual({
      status: 200,
      body: { status: "DROP" },
    });
    expect((await post(app.url, Buffer.from("{}"), "application/json", "/nowhere")).status).toBe(404);
    expect(app.deliveries).toHaveLength(0);
    // Each dropped body is reported with the decoder's reason.
    expect(app.problems).toEqual([
      { error: expect.stringMatching(/decodeDelivery tried a JSON CloudEvent: the text is not JSON/) as unknown },
      { error: expect.stringMatching(/decodeDelivery tried raw protobuf CloudEvent bytes/) as unknown },
    ]);
  });

  it("matches a fresh capture: the committed fixtures are what the bridge publishes today", async () => {
    const fresh = await captureFixtures();
    const committed = manifest();
    expect(
      fresh.map(({ file, shape, contentType, type, subject, source }) => ({
        file,
        shape,
        contentType,
        type,
        subject,
        source,
      })),
    ).toEqual(
      committed.map(({ file, shape, contentType, type, subject, source }) => ({
        file,
        shape,
        contentType,
        type,
        subject,
        source,
      })),
    );
    const app = await startExample();
    for (const entry of fresh)
      expect(await post(app.url, entry.bytes, entry.contentType)).toEqual({ status: 200, body: { status: "SUCCESS" } });
    const fromCommitted = await startExample();
    for (const entry of committed) await post(fromCommitted.url, fixtureBytes(entry), entry.contentType);
    // Same events, same attributes but ids and the bridge's acceptance-time fields.
    const strip = (d: Delivery): unknown => ({
      type: d.type,
      subject: d.subject,
      source: d.source,
      shape: d.shape,
      time: d.time,
      event: "event" in d ? d.event : undefined,
    });
    expect(app.deliveries.map(strip)).toEqual(fromCommitted.deliveries.map(strip));
  }, 60_000);

  it("runs with node after the build, decoding a Dapr envelope", async () => {
    const child = spawn(process.execPath, [SUBSCRIBER.pathname], {
      env: { ...process.env, APP_PORT: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    closers.push(async () => {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    });
    const lines = createInterface({ input: child.stdout });
    let port: number | undefined;
    for await (const line of lines) {
      port = (JSON.parse(line) as { listening?: number }).listening;
      if (port !== undefined) break;
    }
    expect(port).toBeGreaterThan(0);
    const entry = manifest().find((e) => e.event === "workflow-failed" && e.shape === "dapr-envelope") as FixtureEntry;
    const url = `http://127.0.0.1:${String(port)}`;
    expect(await post(url, fixtureBytes(entry), entry.contentType)).toEqual({
      status: 200,
      body: { status: "SUCCESS" },
    });
    const dashboard = (await (await fetch(`${url}/dashboard`)).json()) as {
      counts: Record<string, number>;
      alerts: Alert[];
    };
    expect(dashboard.counts).toEqual({ "io.dapr.workflows.failed": 1 });
    expect(dashboard.alerts[0]).toMatchObject({ id: entry.id, instanceId: "order-1042" });
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
  }, 30_000);
});
