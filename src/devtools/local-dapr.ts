import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { PROTO_DIR } from "../proto/protos.js";
import { freePort, startProcess, waitForProcess, type ManagedProcess } from "./local-processes.js";

/** The Dapr lines scripts/build-daprd.mjs builds. */
export type DaprLine = "1.18" | "1.16";
export const DAPR_LINES: readonly DaprLine[] = ["1.18", "1.16"];

/** Where scripts/build-daprd.mjs leaves its builds: `.cache/daprd` in the package's folder. */
const MANIFEST = path.join(path.dirname(PROTO_DIR), ".cache", "daprd", "manifest.json");

interface Manifest {
  readonly lines: Partial<Record<DaprLine, { readonly version: string; readonly binary: string }>>;
}

/** What the real-Dapr suites need, and whether this machine has it. */
export interface RealDaprSupport {
  /** Undefined when everything is there; else what is missing and how to get it. */
  readonly missing: string | undefined;
  /** The daprd binary and version of each line. */
  readonly daprd: Partial<Record<DaprLine, { readonly version: string; readonly binary: string }>>;
}

function onPath(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

let support: RealDaprSupport | undefined;

/** Checks once per process for the daprd builds (`npm run build:daprd`), redis-server and nats-server. */
export function realDaprSupport(): RealDaprSupport {
  if (support !== undefined) return support;
  const missing: string[] = [];
  let daprd: RealDaprSupport["daprd"] = {};
  try {
    daprd = (JSON.parse(readFileSync(MANIFEST, "utf8")) as Manifest).lines;
  } catch {
    // no build yet: reported below
  }
  for (const line of DAPR_LINES) {
    const build = daprd[line];
    if (build === undefined || !existsSync(build.binary)) {
      missing.push(
        `daprd ${line} is not built (run \`npm run build:daprd\`; it needs Go 1.26 and the Go module proxy)`,
      );
    }
  }
  for (const command of ["redis-server", "nats-server"]) {
    if (!onPath(command))
      missing.push(
        `${command} is not on the PATH (Debian: apt-get install ${command === "redis-server" ? "redis-server" : "nats-server"})`,
      );
  }
  support = { missing: missing.length === 0 ? undefined : missing.join("; "), daprd };
  return support;
}

/** A component, subscription or configuration document for daprd's resources folder. */
export type DaprResource = Readonly<Record<string, unknown>>;

/** A pubsub component document. */
export function pubsubComponent(
  name: string,
  type: "pubsub.redis" | "pubsub.rabbitmq" | "pubsub.jetstream" | "pubsub.in-memory",
  metadata: Readonly<Record<string, string>>,
  scopes?: readonly string[],
): DaprResource {
  return {
    apiVersion: "dapr.io/v1alpha1",
    kind: "Component",
    metadata: { name },
    spec: { type, version: "v1", metadata: Object.entries(metadata).map(([key, value]) => ({ name: key, value })) },
    ...(scopes === undefined ? {} : { scopes: [...scopes] }),
  };
}

/** A declarative subscription (v2alpha1) of `scopes` to `pubsub`/`topic`, delivered to `route`. */
export function subscription(
  name: string,
  options: { pubsub: string; topic: string; route: string; rawPayload: boolean; scopes: readonly string[] },
): DaprResource {
  return {
    apiVersion: "dapr.io/v2alpha1",
    kind: "Subscription",
    metadata: { name },
    spec: {
      pubsubname: options.pubsub,
      topic: options.topic,
      routes: { default: options.route },
      ...(options.rawPayload ? { metadata: { rawPayload: "true" } } : {}),
    },
    scopes: [...options.scopes],
  };
}

/** Writes resources into a new temporary folder, one file each; `remove` deletes it. */
export function writeResources(resources: readonly DaprResource[]): { dir: string; remove: () => void } {
  const folder = mkdtempSync(path.join(tmpdir(), "daprd-resources-"));
  const dir = path.join(folder, "resources");
  mkdirSync(dir, { recursive: true });
  resources.forEach((resource, index) => writeFileSync(path.join(dir, `${index}.yaml`), stringify(resource)));
  return { dir, remove: () => rmSync(folder, { recursive: true, force: true }) };
}

/** Options of {@link startDaprd}. */
export interface StartDaprdOptions {
  readonly line: DaprLine;
  readonly appId: string;
  /** The resources folder ({@link writeResources}). */
  readonly resourcesPath: string;
  /** The app's port, for a subscriber sidecar. */
  readonly appPort?: number;
  /** @default "http" */
  readonly appProtocol?: "http" | "grpc";
  /** The gRPC API port; a free one when absent (pass the old one to restart on the same port). */
  readonly grpcPort?: number;
  /** The HTTP API port; a free one when absent. */
  readonly httpPort?: number;
  /** Sets `DAPR_API_TOKEN`, which daprd then requires of every call. */
  readonly apiToken?: string;
  /** How long to wait for the sidecar to be healthy. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** A running daprd. */
export interface TestDaprd {
  readonly line: DaprLine;
  readonly version: string;
  /** The gRPC API address, `127.0.0.1:PORT`: the bridge's `--dapr-grpc-endpoint`. */
  readonly grpcAddress: string;
  readonly grpcPort: number;
  readonly httpPort: number;
  readonly process: ManagedProcess;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
}

async function healthy(httpPort: number): Promise<boolean> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/v1.0/healthz`);
  return response.status === 204;
}

/**
 * Starts daprd (self-hosted, no placement or scheduler, every listener on 127.0.0.1) and waits
 * until `/v1.0/healthz` answers 204: components loaded and, with an app port, the app reached.
 */
export async function startDaprd(options: StartDaprdOptions): Promise<TestDaprd> {
  const build = realDaprSupport().daprd[options.line];
  if (build === undefined) throw new Error(`daprd ${options.line} is not built: run npm run build:daprd`);
  const grpcPort = options.grpcPort ?? (await freePort());
  const httpPort = options.httpPort ?? (await freePort());
  const internalPort = await freePort();
  const metricsPort = await freePort();
  const args = [
    "--app-id",
    options.appId,
    "--mode",
    "standalone",
    "--dapr-listen-addresses",
    "127.0.0.1",
    "--dapr-grpc-port",
    String(grpcPort),
    "--dapr-http-port",
    String(httpPort),
    "--dapr-internal-grpc-port",
    String(internalPort),
    "--dapr-internal-grpc-listen-address",
    "127.0.0.1",
    "--metrics-port",
    String(metricsPort),
    "--metrics-listen-address",
    "127.0.0.1",
    "--resources-path",
    options.resourcesPath,
    "--dapr-graceful-shutdown-seconds",
    "2",
    "--log-level",
    "info",
  ];
  if (options.appPort !== undefined) {
    args.push("--app-port", String(options.appPort), "--app-protocol", options.appProtocol ?? "http");
    args.push("--app-channel-address", "127.0.0.1");
  }
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith("DAPR_")) env[name] = value;
  if (options.apiToken !== undefined) env["DAPR_API_TOKEN"] = options.apiToken;
  const child = startProcess({ name: `daprd ${build.version} ${options.appId}`, command: build.binary, args, env });
  await waitForProcess(child, "healthy", () => healthy(httpPort), options.startTimeoutMs ?? 30_000);
  return {
    line: options.line,
    version: build.version,
    grpcAddress: `127.0.0.1:${grpcPort}`,
    grpcPort,
    httpPort,
    process: child,
    stop: async () => {
      await child.stop();
    },
    kill: async () => {
      await child.kill();
    },
  };
}
