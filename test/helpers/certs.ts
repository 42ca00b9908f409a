import { execFile } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** A key pair and certificate on disk, with their PEM bytes. */
export interface IssuedCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** The serial number as Node prints it (upper-case hex). */
  readonly serial: string;
}

/** What {@link issueCertificate} puts in a leaf certificate. */
export interface IssueOptions {
  /** The subjectAltName extension value, e.g. `IP:127.0.0.1,DNS:localhost` or `URI:spiffe://...`. */
  readonly san: string;
  /** `serverAuth` or `clientAuth`. */
  readonly usage: "serverAuth" | "clientAuth";
  /** Write to these paths instead of `<dir>/<name>.crt|key` (rotation in place). */
  readonly certFile?: string;
  readonly keyFile?: string;
}

/** A test CA: it signs leaf certificates into its folder. */
export interface TestCa extends IssuedCertificate {
  readonly dir: string;
  readonly name: string;
}

/** The certificates the mTLS tests use, in a temp folder; `close()` removes it. */
export interface TestPki {
  readonly dir: string;
  readonly ca: TestCa;
  /** A CA the sink does not trust. */
  readonly otherCa: TestCa;
  /** The sink's certificate for 127.0.0.1 and localhost. */
  readonly server: IssuedCertificate;
  /** `spiffe://cluster.local/ns/default/order-app`. */
  readonly orderApp: IssuedCertificate;
  /** `spiffe://cluster.local/ns/other/billing-app`. */
  readonly otherNamespace: IssuedCertificate;
  /** `spiffe://cluster.local/ns/default/order-app`, signed by `otherCa`. */
  readonly untrusted: IssuedCertificate;
  /** Removes the folder. */
  close(): Promise<void>;
}

/** EC P-256 keeps generation fast. */
const KEY_ARGS = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];

async function load(certFile: string, keyFile: string): Promise<IssuedCertificate> {
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return { certFile, keyFile, cert, key, serial: new X509Certificate(cert).serialNumber };
}

/** Creates a self-signed CA in `dir`. */
export async function createCa(dir: string, name: string): Promise<TestCa> {
  const certFile = path.join(dir, `${name}.crt`);
  const keyFile = path.join(dir, `${name}.key`);
  await run("openssl", [
    "req",
    "-x509",
    ...KEY_ARGS,
    "-keyout",
    keyFile,
    "-out",
    certFile,
    "-days",
    "2",
    "-subj",
    `/CN=${name}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
  return { ...(await load(certFile, keyFile)), dir, name };
}

/**
 * Issues a leaf certificate signed by `ca` with a random serial. With `certFile`/`keyFile`
 * given, the new files replace those paths by rename (key first, then certificate), the way
 * a rotation lands.
 */
export async function issueCertificate(ca: TestCa, name: string, options: IssueOptions): Promise<IssuedCertificate> {
  const stem = path.join(ca.dir, `${name}-${randomBytes(4).toString("hex")}`);
  const extFile = `${stem}.ext`;
  await writeFile(
    extFile,
    [
      `subjectAltName=${options.san}`,
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature",
      `extendedKeyUsage=${options.usage}`,
    ].join("\n"),
  );
  await run("openssl", [
    "req",
    "-new",
    ...KEY_ARGS,
    "-keyout",
    `${stem}.key`,
    "-out",
    `${stem}.csr`,
    "-subj",
    `/CN=${name}`,
  ]);
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    `${stem}.csr`,
    "-CA",
    ca.certFile,
    "-CAkey",
    ca.keyFile,
    "-set_serial",
    `0x${randomBytes(8).toString("hex")}`,
    "-days",
    "2",
    "-extfile",
    extFile,
    "-out",
    `${stem}.crt`,
  ]);
  const keyFile = options.keyFile ?? `${stem}.key`;
  const certFile = options.certFile ?? `${stem}.crt`;
  if (keyFile !== `${stem}.key`) await rename(`${stem}.key`, keyFile);
  if (certFile !== `${stem}.crt`) await rename(`${stem}.crt`, certFile);
  return load(certFile, keyFile);
}

/** The sink's server certificate usage and names. */
export const SERVER_SAN = "IP:127.0.0.1,DNS:localhost";

/** Creates the CAs and certificates of the mTLS tests in a new temp folder. */
export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(path.join(tmpdir(), "bridge-pki-"));
  try {
    const [ca, otherCa] = await Promise.all([createCa(dir, "ca"), createCa(dir, "other-ca")]);
    const [server, orderApp, otherNamespace, untrusted] = await Promise.all([
      issueCertificate(ca, "server", { san: SERVER_SAN, usage: "serverAuth" }),
      issueCertificate(ca, "order-app", {
        san: "URI:spiffe://cluster.local/ns/default/order-app",
        usage: "clientAuth",
      }),
      issueCertificate(ca, "billing-app", {
        san: "URI:spiffe://cluster.local/ns/other/billing-app",
        usage: "clientAuth",
      }),
      issueCertificate(otherCa, "order-app", {
        san: "URI:spiffe://cluster.local/ns/default/order-app",
        usage: "clientAuth",
      }),
    ]);
    return {
      dir,
      ca,
      otherCa,
      server,
      orderApp,
      otherNamespace,
      untrusted,
      close: () => rm(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
