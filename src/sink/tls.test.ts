import { X509Certificate } from "node:crypto";
import { copyFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type * as grpc from "@grpc/grpc-js";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, type TestPki } from "../../test/helpers/certs.js";
import type { TlsConfig } from "../config/bridge-config.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { createSinkTls, type SinkTls } from "./tls.js";

function captureLogger(): { logger: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: pino({ level: "debug" }, { write: (line: string) => void lines.push(line) }), lines };
}

function configError(action: () => unknown): BridgeError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe(ErrorCode.InvalidConfig);
    return error as BridgeError;
  }
  throw new Error("expected an invalid_config error");
}

/** A stand-in for a call: only what `certificateIdentity` reads. */
function callWith(peer: X509Certificate | undefined): grpc.ServerReadableStream<Buffer, Buffer> {
  const context = peer === undefined ? {} : { transportSecurityType: "ssl", sslPeerCertificate: peer.toLegacyObject() };
  return { getAuthContext: () => context, getPeer: () => "127.0.0.1:1" } as unknown as grpc.ServerReadableStream<
    Buffer,
    Buffer
  >;
}

describe("createSinkTls", () => {
  let pki: TestPki;
  let config: TlsConfig;
  let opened: SinkTls | undefined;

  beforeAll(async () => {
    pki = await createTestPki();
    config = {
      certFile: pki.server.certFile,
      keyFile: pki.server.keyFile,
      clientCaFile: pki.ca.certFile,
      allowTrustDomains: [],
      allowNamespaces: ["default"],
      allowAppIds: [],
    };
  });
  afterEach(() => {
    opened?.close();
    opened = undefined;
  });
  afterAll(async () => {
    await pki.close();
  });

  it("builds secure credentials and logs the certificate without secrets", () => {
    const { logger, lines } = captureLogger();
    opened = createSinkTls(config, logger);
    expect(opened.credentials._isSecure()).toBe(true);
    const log = lines.join("");
    expect(log).toContain(pki.server.serial);
    expect(log).not.toContain("PRIVATE KEY");
    expect(log).not.toContain(pki.server.key.toString("utf8").split("\n")[1]);
  });

  it.each([
    ["certFile", "--tls-cert"],
    ["keyFile", "--tls-key"],
    ["clientCaFile", "--tls-client-ca"],
  ] as const)("names the file and the flag when %s is missing", (key, flag) => {
    const missing = path.join(pki.dir, "does-not-exist.pem");
    const error = configError(() => createSinkTls({ ...config, [key]: missing }, pino({ level: "silent" })));
    expect(error.message).toContain(missing);
    expect(error.message).toContain(flag);
  });

  it("refuses a certificate file that is not PEM, naming --tls-cert", async () => {
    const file = path.join(pki.dir, "garbage.crt");
    await writeFile(file, "not a certificate");
    const error = configError(() => createSinkTls({ ...config, certFile: file }, pino({ level: "silent" })));
    expect(error.message).toContain(file);
    expect(error.message).toContain("--tls-cert");
  });

  it("refuses a key that does not match the certificate, naming --tls-key", () => {
    const error = configError(() =>
      createSinkTls({ ...config, keyFile: pki.orderApp.keyFile }, pino({ level: "silent" })),
    );
    expect(error.message).toContain("does not match");
    expect(error.message).toContain("--tls-key");
  });

  it("refuses a reload interval that is not a positive integer", () => {
    const error = configError(() => createSinkTls(config, pino({ level: "silent" }), { reloadIntervalMs: 0 }));
    expect(error.message).toContain("reloadIntervalMs");
  });

  it("keeps the last valid certificates when a reload reads a bad file", async () => {
    const certFile = path.join(pki.dir, "reload.crt");
    await copyFile(pki.server.certFile, certFile);
    const { logger, lines } = captureLogger();
    opened = createSinkTls({ ...config, certFile }, logger);
    await writeFile(certFile, "half written");
    expect(opened.reload()).toBe(false);
    expect(lines.join("")).toContain("the previous ones stay in use");
    await copyFile(pki.server.certFile, certFile);
    expect(opened.reload()).toBe(true);
  });

  it("gives the identity of an allowed client certificate", () => {
    opened = createSinkTls(config, pino({ level: "silent" }));
    const identity = opened.certificateIdentity(callWith(new X509Certificate(pki.orderApp.cert)));
    expect(identity).toEqual({ appId: "order-app", namespace: "default" });
  });

  it("refuses a call without a verified client certificate", () => {
    const tls = createSinkTls(config, pino({ level: "silent" }));
    opened = tls;
    let error: unknown;
    try {
      tls.certificateIdentity(callWith(undefined));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe(ErrorCode.PermissionDenied);
    expect((error as BridgeError).message).toContain("--tls-client-ca");
  });

  it("refuses a client outside the allow list with permission_denied", () => {
    const tls = createSinkTls(config, pino({ level: "silent" }));
    opened = tls;
    expect(() => tls.certificateIdentity(callWith(new X509Certificate(pki.otherNamespace.cert)))).toThrow(
      /namespace "other" is not in the allowed namespaces \(default\)/,
    );
  });
});
