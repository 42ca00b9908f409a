import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { compareDelivery } from "../src/devtools/delivery-check.js";
import { emit } from "../src/devtools/emitter.js";
import { allArrived, bridgeArgs, processTestKit, recorder, spawnBridge } from "./helpers/bridge-process.js";
import { waitUntil } from "./helpers/pipeline.js";

// Issue 12 item 5: slowloris clients on the metrics port took every file descriptor of the bridge
// (`ulimit -n 512`, 600 connections): the sink could not accept a stream and /healthz went silent.

const kit = processTestKit();
const flood: Socket[] = [];
afterEach(async () => {
  for (const socket of flood.splice(0)) socket.destroy();
  await kit.close();
});

const PRLIMIT = "/usr/bin/prlimit";
const SLOWLORIS = 600;
const DESCRIPTORS = 512;

/** Opens a connection that sends the start of a request and never finishes it; resolves once connected (or refused). */
function slowloris(address: string, closed: { count: number }): Promise<void> {
  const { hostname, port } = new URL(`http://${address}`);
  const socket = connect({ host: hostname, port: Number(port) });
  flood.push(socket);
  socket.on("error", () => undefined);
  // Read what the server sends (a 408), so its end of the connection reaches 'close'.
  socket.resume();
  socket.once("close", () => closed.count++);
  return new Promise<void>((resolve) => {
    socket.once("connect", () => {
      socket.write("GET /metrics HTTP/1.1\r\nHost: bridge\r\nX-Slow: ");
      resolve();
    });
    socket.once("close", () => resolve());
  });
}

async function healthz(address: string): Promise<number> {
  const response = await fetch(`http://${address}/healthz`, { signal: AbortSignal.timeout(10_000) });
  await response.text();
  return response.status;
}

describe("the metrics listener under a slowloris flood", () => {
  it.skipIf(!existsSync(PRLIMIT))(
    `keeps /healthz and the sink serving with ${SLOWLORIS} half-open requests and ${DESCRIPTORS} descriptors`,
    async () => {
      const { sidecar, address } = await kit.sidecar();
      // Default limits of the listener: only its address is chosen (port 0).
      const bridge = await spawnBridge(
        bridgeArgs({ sidecar: address, spoolDir: kit.dir(), extra: ["--metrics-listen", "127.0.0.1:0"] }),
      );
      execFileSync(PRLIMIT, ["--pid", String(bridge.pid), `--nofile=${DESCRIPTORS}:${DESCRIPTORS}`]);
      await waitUntil(() => bridge.logs.some((line) => line.msg === "bridge running"), 20_000, "the metrics listener");
      const metrics = bridge.logs.find((line) => line.msg === "bridge running")?.["metrics"];
      if (typeof metrics !== "string") throw new Error("no metrics address logged");
      let peakRss = 0;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, bridge.rssBytes())), 20);
      try {
        const closed = { count: 0 };
        await Promise.all(Array.from({ length: SLOWLORIS }, () => slowloris(metrics, closed)));
        // The listener refuses what is beyond its cap and times out the rest: every one ends.
        await waitUntil(() => closed.count === SLOWLORIS, 30_000, "the listener to close every slowloris connection");
        expect(await healthz(metrics)).toBe(200);
        const { sent, onSent } = recorder();
        const result = await emit({ target: bridge.address, count: 2_000, onSent });
        expect(result.error).toBeUndefined();
        expect(result.acknowledged).toBe(true);
        await sidecar.waitFor((received) => allArrived(sent, received), { timeoutMs: 30_000 });
        const report = compareDelivery(sent, sidecar.received("pubsub", "dapr-events"));
        expect(report).toMatchObject({ sent: 2_000, missing: 0, unexpected: 0, outOfOrderKeys: [] });
        const warnings = bridge.logs.filter(
          (line) => typeof line.msg === "string" && line.msg.includes("connection cap"),
        );
        expect(warnings.length).toBeGreaterThan(0);
        peakRss = Math.max(peakRss, bridge.rssBytes());
      } finally {
        clearInterval(sampler);
      }
      expect(peakRss).toBeGreaterThan(0);
      expect(peakRss).toBeLessThan(512 * 1024 * 1024);
    },
  );
});
