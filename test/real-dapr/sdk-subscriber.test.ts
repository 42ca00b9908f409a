import { CommunicationProtocolEnum, DaprPubSubStatusEnum, DaprServer, LogLevel } from "@dapr/dapr";
import { afterAll, afterEach, expect, it } from "vitest";
import { decodeSdkEvent } from "../../src/consumer/index.js";
import { emit } from "../../src/devtools/emitter.js";
import { pubsubComponent, startDaprd, writeResources } from "../../src/devtools/local-dapr.js";
import { freePort, stopAllProcesses, waitFor } from "../../src/devtools/local-processes.js";
import { recorder, stopAllBridges } from "../helpers/bridge-process.js";
import { describeRealDapr } from "../helpers/daprd.js";
import { compareJson, JSON_TOPIC, splitSent, startRealPath, type RealPath } from "../helpers/real-path.js";
import type { AppDelivery } from "../helpers/subscribers.js";

// The documented SDK route, proven against real daprd: the bridge's `json` format on a raw-payload
// subscription declared by @dapr/dapr's own DaprServer, over HTTP and over gRPC; the callback's
// argument goes to decodeSdkEvent and must give back every event the emitter sent, in order per key.

let path: RealPath | undefined;
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  await path?.close();
  path = undefined;
  await stopAllBridges();
});
afterAll(stopAllProcesses);

describeRealDapr("real daprd: an @dapr/dapr DaprServer subscriber with decodeSdkEvent", () => {
  for (const protocol of ["http", "grpc"] as const) {
    it(`over ${protocol}: every actor event of the json route arrives intact`, async () => {
      path = await startRealPath({ line: "1.18", subscribers: [] });
      const appPort = await freePort();
      const daprHttpPort = await freePort();
      const daprGrpcPort = await freePort();
      const server = new DaprServer({
        serverHost: "127.0.0.1",
        serverPort: String(appPort),
        communicationProtocol: protocol === "http" ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
        clientOptions: {
          daprHost: "127.0.0.1",
          daprPort: String(protocol === "http" ? daprHttpPort : daprGrpcPort),
          communicationProtocol: protocol === "http" ? CommunicationProtocolEnum.HTTP : CommunicationProtocolEnum.GRPC,
        },
        logger: { level: LogLevel.Error },
      });
      const decoded: ReturnType<typeof decodeSdkEvent>[] = [];
      const failures: string[] = [];
      // As docs/example-subscriber.md says: a boolean rawPayload, decodeSdkEvent on the argument.
      await server.pubsub.subscribe(
        "pubsub",
        JSON_TOPIC,
        async (data: unknown) => {
          try {
            decoded.push(decodeSdkEvent(data));
          } catch (error) {
            failures.push((error as Error).message);
          }
          return Promise.resolve(DaprPubSubStatusEnum.SUCCESS);
        },
        "events",
        { rawPayload: true },
      );
      const resources = writeResources([
        pubsubComponent("pubsub", "pubsub.redis", { redisHost: path.redis?.address ?? "", concurrency: "1" }),
      ]);
      cleanups.push(() => Promise.resolve(resources.remove()));
      // Stopped after its sidecar (cleanups run in reverse): a gRPC server waits for daprd's calls.
      cleanups.push(async () => {
        await server.stop();
        await server.client.stop();
      });
      // The app waits for its sidecar and the sidecar for its app: start both at once.
      const serverStarted = server.start();
      const daprd = await startDaprd({
        line: "1.18",
        appId: `sdk-subscriber-${protocol}`,
        resourcesPath: resources.dir,
        appPort,
        appProtocol: protocol,
        httpPort: daprHttpPort,
        grpcPort: daprGrpcPort,
      });
      cleanups.push(() => daprd.stop());
      await serverStarted;

      const record = recorder();
      await emit({
        target: path.bridge.address,
        streams: 2,
        count: 100,
        seed: 5,
        appId: "orders",
        onSent: record.onSent,
      });
      const { actors } = splitSent(record.sent);
      await waitFor(() => decoded.length + failures.length >= actors.length, {
        what: `${actors.length} SDK callbacks`,
        timeoutMs: 60_000,
      });
      expect(failures).toEqual([]);
      // compareJson decodes deliveries itself; hand it the SDK-decoded events as JSON CloudEvents.
      const asDeliveries: AppDelivery[] = decoded.map((delivery) => ({
        route: "/json",
        topic: JSON_TOPIC,
        contentType: "application/cloudevents+json",
        headers: { "content-type": "application/cloudevents+json" },
        body: Buffer.from(
          JSON.stringify({
            ...delivery.extensions,
            id: delivery.id,
            source: delivery.source,
            specversion: delivery.specversion,
            type: delivery.type,
            datacontenttype: "application/json",
            data: "event" in delivery ? delivery.event : null,
          }),
        ),
      }));
      const report = compareJson(actors, asDeliveries);
      expect({ missing: report.missing, unexpected: report.unexpected, outOfOrder: report.outOfOrderKeys }).toEqual({
        missing: 0,
        unexpected: 0,
        outOfOrder: [],
      });
    }, 120_000);
  }
});
