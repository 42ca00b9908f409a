import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Bridge } from "../bridge.js";
import { resolveConfig } from "../config/load.js";
import { decodeDelivery } from "../consumer/decode-delivery.js";
import { createLogger } from "../observability/logger.js";
import { compareDelivery, type DeliveryReport, type SentFrame } from "./delivery-check.js";
import { DevSidecar } from "./dev-sidecar.js";
import { emit } from "./emitter.js";

/** Options of {@link runDemo}. */
export interface DemoOptions {
  /** Events in all. @default 4000 */
  readonly count?: number;
  /** Concurrent emitter streams (sidecars). @default 4 */
  readonly streams?: number;
  /** How many decoded CloudEvents to print. @default 5 */
  readonly samples?: number;
  /** Where lines go. @default process.stdout */
  readonly out?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** What the demo found. */
export interface DemoResult {
  readonly report: DeliveryReport;
  readonly acknowledged: boolean;
  /** Whether the demo succeeded: every stream acknowledged and nothing missing. */
  readonly ok: boolean;
}

/**
 * The bridge end to end on its embedded defaults: a dev sidecar, the bridge (durable spool
 * in a temporary folder) and the emitter on free loopback ports. Sends `count` events,
 * then compares what the emitter sent with what the sidecar received, by the events' bytes.
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const count = options.count ?? 4000;
  const streams = options.streams ?? 4;
  const out = options.out ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const spoolDir = await mkdtemp(path.join(tmpdir(), "dapr-event-bridge-demo-"));
  const sidecar = new DevSidecar({ listen: "127.0.0.1:0" });
  let bridge: Bridge | undefined;
  let ticker: NodeJS.Timeout | undefined;
  try {
    const { address: sidecarAddress } = await sidecar.start();
    const config = resolveConfig({
      flags: { listen: "127.0.0.1:0", daprGrpcEndpoint: sidecarAddress, spoolDir, metricsListen: "", logLevel: "warn" },
      env: {},
    });
    bridge = new Bridge(config, { logger: createLogger({ level: "warn" }) });
    const target = await bridge.start();
    out(`dev sidecar on ${sidecarAddress}; bridge sink on ${target} (spool ${spoolDir}); sending ${count} events on ${streams} streams`);
    const sent: SentFrame[] = [];
    const topicOf = (): number => sidecar.received(config.pubsub, config.topic).length;
    ticker = setInterval(() => out(`  … sent ${sent.length}, published ${topicOf()}`), 500);
    const perStream = Math.ceil(count / streams);
    const result = await emit(
      {
        target,
        streams,
        count: perStream,
        appId: "demo-app",
        onSent: (frame) => sent.push({ bytes: frame.bytes, key: frame.event?.key ?? "" }),
        ...(options.signal === undefined ? {} : { signal: options.signal }),
      },
    );
    await sidecar
      .waitFor((received) => received.length >= sent.length, { timeoutMs: 60_000, ...(options.signal === undefined ? {} : { signal: options.signal }) })
      .catch(() => undefined);
    clearInterval(ticker);
    ticker = undefined;
    await bridge.drain(5_000);
    const received = sidecar.received(config.pubsub, config.topic);
    const report = compareDelivery(sent, received);
    printSamples(received, options.samples ?? 5, out);
    printCounts(received, out);
    if (!result.acknowledged) out(`the emitter's streams were not all acknowledged: ${result.error?.message ?? "unknown reason"}`);
    if (report.outOfOrderKeys.length > 0) out(`keys out of order: ${report.outOfOrderKeys.slice(0, 5).join(", ")}`);
    out(`sent ${report.sent}, published ${report.published}, missing ${report.missing}, duplicates ${report.duplicates}`);
    return { report, acknowledged: result.acknowledged, ok: result.acknowledged && report.missing === 0 };
  } finally {
    if (ticker !== undefined) clearInterval(ticker);
    await bridge?.close();
    await sidecar.close();
    await rm(spoolDir, { recursive: true, force: true });
  }
}

function printSamples(received: ReadonlyArray<{ data: Uint8Array }>, samples: number, out: (line: string) => void): void {
  out("a few of the CloudEvents the sidecar received, decoded:");
  const step = Math.max(1, Math.floor(received.length / Math.max(1, samples)));
  for (let i = 0; i < received.length && i / step < samples; i += step) {
    const event = decodeDelivery((received[i] as { data: Uint8Array }).data);
    out(`  ${event.type}  source=${event.source}  subject=${event.subject ?? "-"}  id=${event.id}  time=${event.time ?? "-"}`);
  }
}

function printCounts(received: ReadonlyArray<{ data: Uint8Array }>, out: (line: string) => void): void {
  const counts = new Map<string, number>();
  for (const item of received) {
    const type = decodeDelivery(item.data).type;
    counts.set(type, (counts.get(type) ?? 0) + 1);
  }
  out("count per type:");
  for (const [type, n] of [...counts].sort((a, b) => a[0].localeCompare(b[0]))) out(`  ${type.padEnd(40)} ${n}`);
}
