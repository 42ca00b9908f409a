import { checkServerIdentity, type PeerCertificate } from "node:tls";
import * as grpc from "@grpc/grpc-js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SourceIdentity } from "../src/cloudevents/record.js";
import type { TlsConfig } from "../src/config/bridge-config.js";
import { silentLogger } from "../src/observability/logger.js";
import { bridgeType, TypeName } from "../src/proto/protos.js";
import { SinkServer } from "../src/sink/sink-server.js";
import { createStreamHandler } from "../src/sink/stream-handler.js";
import { createSinkTls, type SinkTls } from "../src/sink/tls.js";
import { OutboundFactory, type FrameOutcome } from "../src/sink/to-outbound.js";
import { GroupCommit } from "../src/spool/group-commit.js";
import { MemorySpool } from "../src/spool/memory-spool.js";
import type { SpooledEvent } from "../src/spool/spool.js";
import { createTestPki, issueCertificate, SERVER_SAN, type IssuedCertificate, type TestPki } from "./helpers/certs.js";

const SINK_PATH = "/dapr.proto.events.v1alpha1.SinkEventsAlpha/SendEventsAlpha1";
const bytes = (value: Buffer): Buffer => value;

/** A sink with real mTLS credentials over the real stream handler, group commit and an in-memory spool. */
interface TestSink {
  readonly address: string;
  readonly tls: SinkTls;
  /** Identities of the streams the handler opened. */
  readonly identities: SourceIdentity[];
  readonly frames: FrameOutcome[];
  readonly committed: SpooledEvent[];
  close(): Promise<void>;
}

async function startSink(tlsConfig: TlsConfig, reloadIntervalMs?: number): Promise<TestSink> {
  const logger = silentLogger();
  const tls = createSinkTls(tlsConfig, logger, reloadIntervalMs === undefined ? {} : { reloadIntervalMs });
  const identities: SourceIdentity[] = [];
  const frames: FrameOutcome[] = [];
  const committed: SpooledEvent[] = [];
  const shutdown = new AbortController();
  const commit = new GroupCommit({
    spool: new MemorySpool({ maxEvents: 10_000, maxBytes: 10_000_000 }),
    onCommitted: (events) => committed.push(...events),
  });
  const handler = createStreamHandler({
    factory: new OutboundFactory({
      route: () => ({ kind: "publish", pubsub: "pubsub", topic: "events", format: "json", routeName: "default" }),
      deadLetterPubsub: "pubsub",
      deadLetterTopic: "dead",
    }),
    commit,
    hasRoom: () => true,
    waitForRoom: () => Promise.resolve(),
    fallbackIdentity: { appId: "fallback-app", namespace: "fallback-ns" },
    certificateIdentity: (call) => tls.certificateIdentity(call),
    shutdown: shutdown.signal,
    logger,
    observer: {
      streamOpened: (identity) => identities.push(identity),
      streamClosed: () => undefined,
      frame: (outcome) => frames.push(outcome),
      backpressure: () => undefined,
    },
  });
  const server = new SinkServer({
    listen: "127.0.0.1:0",
    maxMessageBytes: 1 << 20,
    credentials: tls.credentials,
    handler,
    logger,
  });
  try {
    const address = await server.start();
    return {
      address,
      tls,
      identities,
      frames,
      committed,
      close: async () => {
        shutdown.abort();
        await server.stop(1000);
        commit.flush();
        tls.close();
      },
    };
  } catch (error) {
    server.forceStop();
    tls.close();
    throw error;
  }
}

function actorFrame(id: string): Buffer {
  const type = bridgeType(TypeName.EventRequest);
  const message = type.fromObject({
    time: { seconds: 1_750_000_000, nanos: 0 },
    event: { actor: { activated: { actor: { type: "Cart", id } } } },
  });
  return Buffer.from(type.encode(message).finish());
}

interface SendResult {
  readonly error: grpc.ServiceError | undefined;
  /** Serial numbers of the server certificates this client saw. */
  readonly serverSerials: readonly string[];
}

/** Opens one stream with a fresh connection, sends `frames`, half-closes, and waits for the status. */
async function send(
  address: string,
  client: { readonly ca: Buffer; readonly cert?: IssuedCertificate },
  frames: readonly Buffer[],
  metadata = new grpc.Metadata(),
): Promise<SendResult> {
  const serverSerials: string[] = [];
  const credentials = grpc.credentials.createSsl(client.ca, client.cert?.key ?? null, client.cert?.cert ?? null, {
    checkServerIdentity: (host: string, cert: PeerCertificate) => {
      serverSerials.push(cert.serialNumber);
      return checkServerIdentity(host, cert);
    },
  });
  // A local subchannel pool: every call gets its own connection, so it sees the current server certificate.
  const channel = new grpc.Client(address, credentials, {
    "grpc.use_local_subchannel_pool": 1,
    // The server certificate names localhost too; an IP as TLS server name is deprecated (RFC 6066).
    "grpc.ssl_target_name_override": "localhost",
  });
  try {
    const error = await new Promise<grpc.ServiceError | undefined>((resolve) => {
      const call = channel.makeClientStreamRequest<Buffer, Buffer>(
        SINK_PATH,
        bytes,
        bytes,
        metadata,
        { deadline: Date.now() + 15_000 },
        (failure) => resolve(failure ?? undefined),
      );
      for (const frame of frames) call.write(frame);
      call.end();
    });
    return { error, serverSerials };
  } finally {
    channel.close();
  }
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("mTLS on the sink", () => {
  let pki: TestPki;
  let sink: TestSink | undefined;
  let tlsConfig: TlsConfig;

  beforeAll(async () => {
    pki = await createTestPki();
    tlsConfig = {
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      clientCaFile: pki.ca.certFile,
      allowTrustDomains: ["cluster.local"],
      allowNamespaces: ["default"],
      allowAppIds: [],
    };
  });
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
  });
  afterAll(async () => {
    await pki.close();
  });

  it("takes an allowed client's frames under the identity of its certificate, not its metadata", async () => {
    sink = await startSink(tlsConfig);
    const metadata = new grpc.Metadata();
    metadata.set("dapr-app-id", "spoofed-app");
    metadata.set("dapr-namespace", "spoofed-ns");
    const result = await send(
      sink.address,
      { ca: pki.ca.cert, cert: pki.orderApp },
      [actorFrame("1"), actorFrame("2")],
      metadata,
    );
    expect(result.error).toBeUndefined();
    expect(result.serverSerials).toEqual([pki.server.serial]);
    expect(sink.identities).toEqual([{ appId: "order-app", namespace: "default" }]);
    expect(sink.committed).toHaveLength(2);
    for (const outcome of sink.frames) {
      expect(outcome.kind).toBe("accepted");
      if (outcome.kind !== "accepted") continue;
      expect(outcome.record.extensions["daprappid"]).toBe("order-app");
      expect(outcome.record.extensions["daprnamespace"]).toBe("default");
      expect(outcome.record.source).toBe("/dapr/default/order-app/actors/Cart");
    }
  });

  it("fails the handshake of a client without a certificate (UNAVAILABLE) and records nothing", async () => {
    sink = await startSink(tlsConfig);
    const result = await send(sink.address, { ca: pki.ca.cert }, [actorFrame("1")]);
    expect(result.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(sink.identities).toEqual([]);
    expect(sink.frames).toEqual([]);
    expect(sink.committed).toEqual([]);
  });

  it("refuses a client certificate from another CA and records nothing", async () => {
    sink = await startSink(tlsConfig);
    const result = await send(sink.address, { ca: pki.ca.cert, cert: pki.untrusted }, [actorFrame("1")]);
    expect(result.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(sink.identities).toEqual([]);
    expect(sink.frames).toEqual([]);
    expect(sink.committed).toEqual([]);
  });

  it("refuses a SPIFFE ID outside the allow list with PERMISSION_DENIED naming it, and records nothing", async () => {
    sink = await startSink(tlsConfig);
    const result = await send(sink.address, { ca: pki.ca.cert, cert: pki.otherNamespace }, [actorFrame("1")]);
    expect(result.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(result.error?.details).toContain("spiffe://cluster.local/ns/other/billing-app is refused");
    expect(result.error?.details).toContain('namespace "other"');
    expect(result.error?.details).toContain("--tls-allow-namespaces");
    expect(sink.identities).toEqual([]);
    expect(sink.frames).toEqual([]);
    expect(sink.committed).toEqual([]);
  });

  it("serves a rotated server certificate to new connections without a restart", async () => {
    // The sink's own copy of the server files, so rotating them leaves the other tests' files alone.
    const files = await issueCertificate(pki.ca, "rotating", { san: SERVER_SAN, usage: "serverAuth" });
    sink = await startSink({ ...tlsConfig, certFile: files.certFile, keyFile: files.keyFile }, 20);
    const client = { ca: pki.ca.cert, cert: pki.orderApp };
    const before = await send(sink.address, client, [actorFrame("1")]);
    expect(before.error).toBeUndefined();
    expect(before.serverSerials).toEqual([files.serial]);

    const rotated = await issueCertificate(pki.ca, "rotated", {
      san: SERVER_SAN,
      usage: "serverAuth",
      certFile: files.certFile,
      keyFile: files.keyFile,
    });
    expect(rotated.serial).not.toBe(files.serial);
    const current = sink;
    await waitFor(
      async () => {
        const after = await send(current.address, client, [actorFrame("2")]);
        expect(after.error).toBeUndefined();
        return after.serverSerials.includes(rotated.serial);
      },
      15_000,
      "a new connection to see the rotated server certificate",
    );
    expect(sink.identities.every((identity) => identity.appId === "order-app")).toBe(true);
  });
});
