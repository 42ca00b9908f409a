import { createPrivateKey, type KeyObject, X509Certificate } from "node:crypto";
import { readFileSync, unwatchFile, watchFile, type Stats } from "node:fs";
import * as grpc from "@grpc/grpc-js";
import type { SourceIdentity } from "../cloudevents/record.js";
import type { TlsConfig } from "../config/bridge-config.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Logger } from "../observability/logger.js";
import { checkAllowed, formatSpiffeId, identityFromCertificate, type SpiffeAllowList } from "./spiffe.js";

/** Options of {@link createSinkTls} beyond the configuration. */
export interface SinkTlsOptions {
  /** How often the certificate files are checked for changes, ms. @default 1000 */
  readonly reloadIntervalMs?: number;
}

/** mTLS of the sink: the server credentials and the identity of each call. */
export interface SinkTls {
  /**
   * Server credentials that require a client certificate chained to the client CA. They
   * follow the certificate files: a rotated certificate, key or CA serves new connections.
   */
  readonly credentials: grpc.ServerCredentials;
  /**
   * The identity of a call from its client certificate's SPIFFE ID, checked against the
   * allow lists. Throws a BridgeError (code `permission_denied`) to refuse the call.
   * Pass it as the stream handler's `certificateIdentity`.
   */
  certificateIdentity(call: grpc.ServerReadableStream<Buffer, Buffer>): SourceIdentity;
  /** Re-reads the files now; returns whether they were valid (else the last valid set stays in use). */
  reload(): boolean;
  /** Stops watching the files. */
  close(): void;
}

/** The three files of a TLS configuration with the flag that sets each, for messages. */
const FILES = [
  { key: "certFile", flag: "--tls-cert", what: "sink certificate" },
  { key: "keyFile", flag: "--tls-key", what: "sink private key" },
  { key: "clientCaFile", flag: "--tls-client-ca", what: "client CA bundle" },
] as const;

interface Material {
  readonly certificate: Buffer;
  readonly privateKey: Buffer;
  readonly caCertificate: Buffer;
  /** The sink certificate, for logs (serial, subject, expiry: nothing secret). */
  readonly parsed: X509Certificate;
}

function invalid(file: string, flag: string, why: string, cause?: unknown): BridgeError {
  return new BridgeError(ErrorCode.InvalidConfig, `${why} (${file}, set by ${flag}); fix the file or the flag`, {
    cause,
  });
}

function readPem(config: TlsConfig, entry: (typeof FILES)[number]): Buffer {
  const file = config[entry.key];
  try {
    return readFileSync(file);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw invalid(file, entry.flag, `the ${entry.what} file cannot be read: ${reason}`, error);
  }
}

/** Reads and checks the three files: PEM that parses, a key that matches the certificate. */
function readMaterial(config: TlsConfig): Material {
  const [certificate, privateKey, caCertificate] = FILES.map((entry) => readPem(config, entry)) as [
    Buffer,
    Buffer,
    Buffer,
  ];
  let parsed: X509Certificate;
  try {
    parsed = new X509Certificate(certificate);
  } catch (error) {
    throw invalid(config.certFile, "--tls-cert", "the sink certificate file holds no PEM certificate", error);
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(privateKey);
  } catch (error) {
    throw invalid(config.keyFile, "--tls-key", "the sink private key file holds no PEM private key", error);
  }
  if (!parsed.checkPrivateKey(key)) {
    throw invalid(
      config.keyFile,
      "--tls-key",
      `the private key does not match the sink certificate ${config.certFile}`,
    );
  }
  try {
    new X509Certificate(caCertificate);
  } catch (error) {
    throw invalid(config.clientCaFile, "--tls-client-ca", "the client CA file holds no PEM certificate", error);
  }
  return { certificate, privateKey, caCertificate, parsed };
}

/**
 * A grpc-js certificate provider over the three files: read (and checked) at once, so a
 * bad file fails startup and the first connection never waits; re-read when a file
 * changes; a bad read (a rotation half written) keeps the last valid set. grpc-js's own
 * `FileWatcherCertificateProvider` reads asynchronously after the server binds and
 * publishes "no certificate" on a failed read, which drops every connection until the
 * next read: this one does neither.
 */
class ReloadingCertificateProvider implements grpc.experimental.CertificateProvider {
  private material: Material;
  private readonly caListeners = new Set<grpc.experimental.CaCertificateUpdateListener>();
  private readonly identityListeners = new Set<grpc.experimental.IdentityCertificateUpdateListener>();

  constructor(
    private readonly config: TlsConfig,
    private readonly logger: Logger,
  ) {
    this.material = readMaterial(config);
  }

  get current(): Material {
    return this.material;
  }

  reload(): boolean {
    let next: Material;
    try {
      next = readMaterial(this.config);
    } catch (error) {
      const reason = BridgeError.from(error);
      this.logger.warn({ error: reason.message }, "sink certificates not reloaded; the previous ones stay in use");
      return false;
    }
    this.material = next;
    this.logger.info(describe(next.parsed), "sink certificates reloaded");
    for (const listener of this.caListeners) listener({ caCertificate: next.caCertificate });
    for (const listener of this.identityListeners)
      listener({ certificate: next.certificate, privateKey: next.privateKey });
    return true;
  }

  // grpc-js registers its watcher only after adding these listeners: the first update must come later.
  addCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.add(listener);
    process.nextTick(() => listener({ caCertificate: this.material.caCertificate }));
  }

  removeCaCertificateListener(listener: grpc.experimental.CaCertificateUpdateListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.add(listener);
    process.nextTick(() => listener({ certificate: this.material.certificate, privateKey: this.material.privateKey }));
  }

  removeIdentityCertificateListener(listener: grpc.experimental.IdentityCertificateUpdateListener): void {
    this.identityListeners.delete(listener);
  }
}

function describe(cert: X509Certificate): Record<string, string> {
  return { serial: cert.serialNumber, subject: cert.subject.replaceAll("\n", ", "), validTo: cert.validTo };
}

function changed(current: Stats, previous: Stats): boolean {
  return current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino || current.size !== previous.size;
}

/**
 * mTLS for the sink from a {@link TlsConfig}: credentials that require a client
 * certificate chained to `clientCaFile` and reload the files when they change
 * (certificates rotate), and the SPIFFE identity of each call checked against the allow
 * lists. Throws a BridgeError (code `invalid_config`) naming the file and its flag when a
 * file is missing, unreadable, not PEM, or the key does not match the certificate.
 */
export function createSinkTls(config: TlsConfig, logger: Logger, options: SinkTlsOptions = {}): SinkTls {
  const reloadIntervalMs = options.reloadIntervalMs ?? 1000;
  if (!Number.isSafeInteger(reloadIntervalMs) || reloadIntervalMs <= 0) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `SinkTls option reloadIntervalMs must be a positive integer (ms); got ${String(reloadIntervalMs)}`,
    );
  }
  const provider = new ReloadingCertificateProvider(config, logger);
  const allow: SpiffeAllowList = {
    trustDomains: config.allowTrustDomains,
    namespaces: config.allowNamespaces,
    appIds: config.allowAppIds,
  };
  // One provider serves both roles: grpc-js 1.14's createCertificateProviderServerCredentials
  // passes its (ca, identity) arguments to a constructor that takes (identity, ca).
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true);
  const files = FILES.map(({ key }) => config[key]);
  const onChange = (current: Stats, previous: Stats): void => {
    if (changed(current, previous)) provider.reload();
  };
  for (const file of files) watchFile(file, { interval: reloadIntervalMs, persistent: false }, onChange);
  logger.info(
    { ...describe(provider.current.parsed), allow },
    "sink mTLS on: client certificates must chain to the client CA",
  );

  return {
    credentials,
    certificateIdentity(call) {
      const peer = call.getAuthContext().sslPeerCertificate;
      if (peer === undefined) {
        throw new BridgeError(
          ErrorCode.PermissionDenied,
          "the stream has no verified client certificate; the sink runs mTLS: connect with a certificate issued by the client CA (--tls-client-ca)",
        );
      }
      try {
        const id = identityFromCertificate(peer);
        checkAllowed(id, allow);
        logger.debug({ spiffeId: formatSpiffeId(id) }, "client certificate accepted");
        return { appId: id.appId, namespace: id.namespace };
      } catch (error) {
        const reason = BridgeError.from(error, "client certificate");
        logger.warn({ peer: call.getPeer(), error: reason.message }, "stream refused");
        throw reason;
      }
    },
    reload: () => provider.reload(),
    close() {
      for (const file of files) unwatchFile(file, onChange);
    },
  };
}
