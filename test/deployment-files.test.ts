import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { parseDurationMs } from "../src/config/duration.js";

/*
 * Consistency of the deployment files (docker-compose.yml, Dockerfile, components/, docs/deploy/)
 * with each other and with the bridge's flags. No Docker or cluster here: the files are parsed and
 * cross-checked. Each check returns the problems it found, so the tests below can show that a
 * broken copy (a port changed, a path missing) is caught, not only that the real files pass.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const COMPONENTS = path.join(ROOT, "components");

type Doc = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
const rec = (value: unknown): Doc => (isRecord(value) ? value : {});
const list = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : []);
const str = (value: unknown): string | undefined =>
  typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
const strings = (value: unknown): string[] => list(value).flatMap((v) => str(v) ?? []);

/** Compose's `${VAR:-default}` / `${VAR}` interpolation, over a parsed document. */
function interpolate(value: unknown, env: Readonly<Record<string, string>>): unknown {
  if (typeof value === "string") {
    return value.replace(
      /\$\{(\w+)(?::?-([^}]*))?\}/g,
      (_m, name: string, fallback: string | undefined) => env[name] ?? fallback ?? "",
    );
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, env));
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env)]));
  return value;
}

/** Every value of a flag (`--f v`, `--f=v`, and daprd's single-dash `-f v`). */
function flagValues(args: readonly string[], flag: string): string[] {
  const out: string[] = [];
  args.forEach((arg, i) => {
    if (arg === flag && i + 1 < args.length) out.push(args[i + 1] ?? "");
    else if (arg.startsWith(`${flag}=`)) out.push(arg.slice(flag.length + 1));
  });
  return out;
}
const flag = (args: readonly string[], name: string): string | undefined => flagValues(args, name)[0];
const portOf = (hostPort: string | undefined): number | undefined => {
  const port = hostPort === undefined ? undefined : /:(\d+)$/.exec(hostPort)?.[1];
  return port === undefined ? undefined : Number(port);
};

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return yamlFiles(file);
    return /\.ya?ml$/.test(name) ? [file] : [];
  });
}
function docsOf(file: string): Doc[] {
  return parseAllDocuments(readFileSync(file, "utf8")).flatMap((d) => {
    if (d.errors.length > 0)
      throw new Error(`${path.relative(ROOT, file)}: ${d.errors.map((e) => e.message).join("; ")}`);
    const js: unknown = d.toJS();
    return isRecord(js) ? [js] : [];
  });
}
/** The Dapr resources daprd loads from these folders: their files, not their sub-folders. */
function resourcesIn(dirs: readonly string[]): Doc[] {
  return dirs.flatMap((dir) =>
    readdirSync(dir)
      .filter((n) => /\.ya?ml$/.test(n) && statSync(path.join(dir, n)).isFile())
      .flatMap((n) => docsOf(path.join(dir, n))),
  );
}
const named = (docs: readonly Doc[], kind: string): Doc[] => docs.filter((d) => d["kind"] === kind);
const nameOf = (doc: Doc): string | undefined => str(rec(doc["metadata"])["name"]);
const inScope = (doc: Doc, appId: string): boolean => {
  const scopes = strings(doc["scopes"]);
  return scopes.length === 0 || scopes.includes(appId);
};

type Compose = Doc;
const service = (compose: Compose, name: string): Doc => rec(rec(compose["services"])[name]);
const command = (svc: Doc): string[] => strings(svc["command"]);

function loadCompose(env: Readonly<Record<string, string>> = {}): Compose {
  return rec(interpolate(parse(readFileSync(path.join(ROOT, "docker-compose.yml"), "utf8"), { merge: true }), env));
}

/** Host paths of bind mounts and build contexts exist; named volumes are declared. */
function composePathProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const declared = Object.keys(rec(compose["volumes"]));
  for (const [name, raw] of Object.entries(rec(compose["services"]))) {
    const svc = rec(raw);
    const build = svc["build"];
    if (build !== undefined) {
      const context = path.resolve(ROOT, str(isRecord(build) ? build["context"] : build) ?? ".");
      const dockerfile = path.resolve(context, str(rec(build)["dockerfile"]) ?? "Dockerfile");
      if (!existsSync(context)) problems.push(`${name}: build context ${context} missing`);
      if (!existsSync(dockerfile)) problems.push(`${name}: Dockerfile ${dockerfile} missing`);
    }
    for (const volume of strings(svc["volumes"])) {
      const source = volume.split(":")[0] ?? "";
      if (/^[./~]/.test(source)) {
        if (!existsSync(path.resolve(ROOT, source))) problems.push(`${name}: volume source ${source} missing`);
      } else if (!declared.includes(source)) {
        problems.push(`${name}: named volume ${source} not declared under volumes:`);
      }
    }
    const mode = str(svc["network_mode"]);
    if (mode?.startsWith("service:") === true && rec(compose["services"])[mode.slice(8)] === undefined) {
      problems.push(`${name}: network_mode ${mode} names no service`);
    }
  }
  return problems;
}

/** The repository folders a daprd service loads (`-resources-path` through its mounts). */
function resourceDirs(svc: Doc): { dirs: string[]; problems: string[] } {
  const mounts = strings(svc["volumes"]).map((v) => v.split(":"));
  const dirs: string[] = [];
  const problems: string[] = [];
  for (const target of flagValues(command(svc), "-resources-path")) {
    const mount = mounts.find(
      ([, inside]) => inside !== undefined && (target === inside || target.startsWith(`${inside}/`)),
    );
    if (mount === undefined) {
      problems.push(`-resources-path ${target} is not under a mounted folder`);
      continue;
    }
    const host = path.resolve(ROOT, mount[0] ?? "", path.relative(mount[1] ?? "", target));
    if (host !== COMPONENTS && !host.startsWith(COMPONENTS + path.sep))
      problems.push(`-resources-path ${target} is ${host}, not under components/`);
    else if (!existsSync(host) || !statSync(host).isDirectory())
      problems.push(`-resources-path ${target}: ${host} missing`);
    else dirs.push(host);
  }
  if (dirs.length === 0 && problems.length === 0) problems.push("no -resources-path");
  return { dirs, problems };
}

/** The bridge, its sidecar, the emitter and the subscriber agree on ports, names and topics. */
function composeWiringProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const bridge = command(service(compose, "bridge"));
  const listen = portOf(flag(bridge, "--listen"));
  const metrics = portOf(flag(bridge, "--metrics-listen"));
  // The bridge runs in its sidecar's network namespace: the ports are published there.
  const sidecar = service(compose, "bridge-dapr");
  if (str(service(compose, "bridge")["network_mode"]) !== "service:bridge-dapr")
    problems.push("bridge: not network_mode service:bridge-dapr");
  const published = strings(sidecar["ports"]).map((p) => Number(p.split(":").at(-1)));
  for (const [what, port] of [
    ["--listen", listen],
    ["--metrics-listen", metrics],
  ] as const) {
    if (port === undefined) problems.push(`bridge: no ${what} HOST:PORT`);
    else if (!published.includes(port))
      problems.push(`bridge: ${what} port ${port} not in bridge-dapr's ports ${published.join(", ")}`);
  }
  const health = JSON.stringify(service(compose, "bridge")["healthcheck"] ?? "");
  if (!health.includes(`:${metrics}/readyz`)) problems.push(`bridge: healthcheck does not probe :${metrics}/readyz`);
  const target = flag(command(service(compose, "emitter")), "--target");
  if (target !== `bridge:${listen}`) problems.push(`emitter: --target ${target} is not bridge:${listen}`);
  const aliases = strings(rec(rec(sidecar["networks"])["default"])["aliases"]);
  if (!aliases.includes("bridge")) problems.push("bridge-dapr: no network alias bridge (the emitter's target host)");

  const daprPort = Number(flag(command(sidecar), "-dapr-grpc-port") ?? "50001");
  if (portOf(flag(bridge, "--dapr-grpc-endpoint")) !== daprPort)
    problems.push(`bridge: --dapr-grpc-endpoint does not reach daprd's port ${daprPort}`);
  const bridgeId = flag(command(sidecar), "-app-id") ?? "";
  const loaded = resourceDirs(sidecar);
  problems.push(...loaded.problems.map((p) => `bridge-dapr: ${p}`));
  const resources = resourcesIn(loaded.dirs).filter((d) => inScope(d, bridgeId));
  const pubsub = flag(bridge, "--pubsub") ?? "pubsub";
  const components = named(resources, "Component").filter((c) => nameOf(c) === pubsub);
  if (components.length !== 1)
    problems.push(`bridge-dapr: ${components.length} Components named ${pubsub} (want exactly 1)`);
  for (const r of named(resources, "Resiliency")) {
    for (const target of Object.keys(rec(rec(rec(r["spec"])["targets"])["components"]))) {
      if (!named(resources, "Component").some((c) => nameOf(c) === target))
        problems.push(`Resiliency ${nameOf(r)}: no Component ${target}`);
    }
  }

  const topics = [
    flag(bridge, "--topic") ?? "dapr-events",
    flag(bridge, "--dead-letter-topic") ?? "dapr-events-deadletter",
  ];
  const subscriber = service(compose, "subscriber-dapr");
  const subscriberId = flag(command(subscriber), "-app-id") ?? "";
  const appPort = str(rec(service(compose, "subscriber")["environment"])["APP_PORT"]);
  if (flag(command(subscriber), "-app-port") !== appPort)
    problems.push(`subscriber-dapr: -app-port is not the app's APP_PORT ${appPort}`);
  const subLoaded = resourceDirs(subscriber);
  problems.push(...subLoaded.problems.map((p) => `subscriber-dapr: ${p}`));
  const subResources = resourcesIn(subLoaded.dirs).filter((d) => inScope(d, subscriberId));
  const subscriptions = named(subResources, "Subscription");
  const server = readFileSync(path.join(ROOT, "examples/subscriber/server.mjs"), "utf8");
  const format = str(rec(service(compose, "bridge")["environment"])["BRIDGE_FORMAT"]) ?? "protobuf";
  for (const topic of topics) {
    const subs = subscriptions.filter((s) => rec(s["spec"])["topic"] === topic);
    if (subs.length !== 1) problems.push(`${subscriberId}: ${subs.length} Subscriptions to ${topic} (want exactly 1)`);
  }
  for (const s of subscriptions) {
    const spec = rec(s["spec"]);
    const where = `Subscription ${nameOf(s)}`;
    if (!topics.includes(str(spec["topic"]) ?? ""))
      problems.push(`${where}: topic ${str(spec["topic"])} is not a bridge topic (${topics.join(", ")})`);
    const dlq = str(spec["deadLetterTopic"]);
    if (dlq !== undefined && !topics.includes(dlq))
      problems.push(`${where}: deadLetterTopic ${dlq} is not a bridge topic`);
    if (!named(subResources, "Component").some((c) => nameOf(c) === spec["pubsubname"]))
      problems.push(`${where}: no Component ${str(spec["pubsubname"])}`);
    if ((rec(spec["metadata"])["rawPayload"] === "true") !== (format === "protobuf"))
      problems.push(`${where}: rawPayload does not fit format ${format}`);
    const routes = rec(spec["routes"]);
    for (const route of [str(routes["default"]), ...list(routes["rules"]).map((r) => str(rec(r)["path"]))]) {
      if (route === undefined || !server.includes(`"${route}"`))
        problems.push(`${where}: route ${route} not served by examples/subscriber/server.mjs`);
    }
  }
  return problems;
}

/** The bridge's drain timeout in ms: `--drain-timeout`, else its default of 20 s. */
function drainTimeoutMs(args: readonly string[]): number | undefined {
  const value = flag(args, "--drain-timeout");
  return value === undefined ? 20_000 : parseDurationMs(value);
}
/** A duration of a deployment file (`30s`, `1m30s`) or whole seconds (a number), in ms. */
function durationOf(value: unknown, unitMs = 1000): number | undefined {
  if (typeof value === "number") return value * unitMs;
  return typeof value === "string" && /^\d+$/.test(value) ? Number(value) * unitMs : parseDurationMs(value);
}

/**
 * Compose shutdown: the bridge drains through its sidecar, so compose must stop the bridge before
 * bridge-dapr (it stops a service before those it depends on; network_mode service:X depends on
 * X) and give the bridge more than its drain timeout before SIGKILL.
 */
function composeShutdownProblems(compose: Compose): string[] {
  const problems: string[] = [];
  const bridge = service(compose, "bridge");
  if (str(bridge["network_mode"]) !== "service:bridge-dapr")
    problems.push("bridge: not in bridge-dapr's namespace, so compose would stop the sidecar first");
  const drain = drainTimeoutMs(command(bridge));
  const grace = durationOf(bridge["stop_grace_period"] ?? "10s");
  if (drain === undefined || grace === undefined || !(grace > drain))
    problems.push(
      `bridge: stop_grace_period ${str(bridge["stop_grace_period"])} is not above --drain-timeout (${drain} ms)`,
    );
  const image = str(service(compose, "bridge-dapr")["image"]) ?? "";
  const tested = /github\.com\/dapr\/dapr v(\S+)/.exec(readFileSync(path.join(ROOT, "test/daprd/go.mod"), "utf8"))?.[1];
  if (tested === undefined || !image.endsWith(`:${tested}`))
    problems.push(`bridge-dapr: image ${image} is not the daprd the real-Dapr tests run (${tested})`);
  return problems;
}

/** Pubsub components: subscribers get one message at a time; Kafka keeps Dapr's metadata out of headers. */
function pubsubComponentProblems(docs: readonly Doc[]): string[] {
  const problems: string[] = [];
  for (const c of named(docs, "Component")) {
    const spec = rec(c["spec"]);
    const type = str(spec["type"]) ?? "";
    const meta = new Map(list(spec["metadata"]).map((m) => [str(rec(m)["name"]), str(rec(m)["value"])]));
    const where = `Component ${nameOf(c)} (${type})`;
    if (type === "pubsub.redis" && meta.get("concurrency") !== "1")
      problems.push(`${where}: concurrency is not "1" (per-key order at subscribers)`);
    if ((type === "pubsub.rabbitmq" || type === "pubsub.jetstream") && meta.get("concurrencyMode") !== "single") {
      problems.push(`${where}: concurrencyMode is not single (per-key order at subscribers)`);
    }
    if (type === "pubsub.kafka") {
      const regex = meta.get("excludeHeaderMetaRegex");
      if (regex === undefined || regex === "") {
        problems.push(`${where}: no excludeHeaderMetaRegex`);
        continue;
      }
      const re = new RegExp(regex);
      for (const key of ["rawPayload", "partitionKey", "traceid", "tracestate"])
        if (!re.test(key)) problems.push(`${where}: excludeHeaderMetaRegex lets ${key} become a header`);
      if (re.test("content-type"))
        problems.push(`${where}: excludeHeaderMetaRegex drops content-type (the structured mode's header)`);
    }
  }
  return problems;
}

/**
 * Kubernetes shutdown: the sidecar serves for block-shutdown-duration (>= the bridge's drain),
 * then takes at most graceful-shutdown-seconds; the pod's grace period exceeds both together.
 */
function kubernetesShutdownProblems(docs: readonly Doc[]): string[] {
  const problems: string[] = [];
  for (const w of docs.filter((d) => d["kind"] === "StatefulSet" || d["kind"] === "Deployment")) {
    const template = rec(rec(w["spec"])["template"]);
    const annotations = rec(rec(template["metadata"])["annotations"]);
    const podSpec = rec(template["spec"]);
    const args = strings(rec(list(podSpec["containers"])[0])["args"]);
    const drain = drainTimeoutMs(args);
    const block = durationOf(annotations["dapr.io/block-shutdown-duration"]);
    const graceful = durationOf(annotations["dapr.io/graceful-shutdown-seconds"] ?? "5");
    const termination = durationOf(podSpec["terminationGracePeriodSeconds"] ?? 30);
    if (drain === undefined || block === undefined || !(block >= drain))
      problems.push(
        `${nameOf(w)}: dapr.io/block-shutdown-duration ${str(annotations["dapr.io/block-shutdown-duration"])} is below --drain-timeout (${drain} ms)`,
      );
    if (
      block === undefined ||
      graceful === undefined ||
      termination === undefined ||
      !(termination > block + graceful)
    ) {
      problems.push(
        `${nameOf(w)}: terminationGracePeriodSeconds ${str(podSpec["terminationGracePeriodSeconds"])} is not above block-shutdown-duration + graceful-shutdown-seconds`,
      );
    }
  }
  return problems;
}

/** Dockerfile: COPY sources exist, EXPOSE and CMD agree on the ports. */
function dockerfileProblems(text: string): string[] {
  const problems: string[] = [];
  for (const line of text.split("\n").filter((l) => /^COPY\s/.test(l) && !l.includes("--from"))) {
    const parts = line.trim().split(/\s+/).slice(1, -1);
    for (const source of parts) if (!existsSync(path.join(ROOT, source))) problems.push(`COPY ${source}: missing`);
  }
  const exposed = (/^EXPOSE\s+(.+)$/m.exec(text)?.[1] ?? "").split(/\s+/).map(Number);
  const cmd = JSON.parse(/^CMD\s+(\[.*\])$/m.exec(text)?.[1] ?? "[]") as string[];
  for (const f of ["--listen", "--metrics-listen"]) {
    const port = portOf(flag(cmd, f));
    if (port === undefined || !exposed.includes(port))
      problems.push(`CMD ${f} port ${port} not in EXPOSE ${exposed.join(" ")}`);
  }
  return problems;
}

/** Kubernetes: Services reach the workload's ports; args, probes and mounts agree. */
function kubernetesProblems(docs: readonly Doc[]): string[] {
  const problems: string[] = [];
  const workloads = docs.filter((d) => d["kind"] === "StatefulSet" || d["kind"] === "Deployment");
  if (workloads.length === 0) problems.push("no StatefulSet or Deployment");
  for (const w of workloads) {
    const spec = rec(w["spec"]);
    const template = rec(spec["template"]);
    const labels = rec(rec(template["metadata"])["labels"]);
    const annotations = rec(rec(template["metadata"])["annotations"]);
    const configName = str(annotations["dapr.io/config"]);
    if (annotations["dapr.io/enabled"] !== "true" || annotations["dapr.io/app-id"] !== "dapr-event-bridge")
      problems.push(`${nameOf(w)}: Dapr annotations`);
    if (configName !== undefined && !named(docs, "Configuration").some((c) => nameOf(c) === configName))
      problems.push(`dapr.io/config ${configName}: no Configuration`);
    const containers = list(rec(template["spec"])["containers"]).map(rec);
    const bridge = containers[0] ?? {};
    const args = strings(bridge["args"]);
    const ports = list(bridge["ports"]).map(rec);
    const byName = new Map(ports.map((p) => [str(p["name"]), Number(p["containerPort"])]));
    const numbers = ports.map((p) => Number(p["containerPort"]));
    const sink = portOf(flag(args, "--listen"));
    const metrics = portOf(flag(args, "--metrics-listen"));
    if (sink === undefined || !numbers.includes(sink))
      problems.push(`--listen port ${sink} is no containerPort (${numbers.join(", ")})`);
    if (metrics === undefined || !numbers.includes(metrics))
      problems.push(`--metrics-listen port ${metrics} is no containerPort`);
    for (const [probe, want] of [
      ["readinessProbe", "/readyz"],
      ["livenessProbe", "/healthz"],
    ] as const) {
      const get = rec(rec(bridge[probe])["httpGet"]);
      const port = typeof get["port"] === "number" ? get["port"] : byName.get(str(get["port"]));
      if (get["path"] !== want || port !== metrics)
        problems.push(`${probe}: want ${want} on the metrics port ${metrics}`);
    }
    const mounts = list(bridge["volumeMounts"]).map(rec);
    const spoolMount = mounts.find((m) => m["mountPath"] === flag(args, "--spool-dir"));
    const claims = list(spec["volumeClaimTemplates"]).map((c) => nameOf(rec(c)));
    if (spoolMount === undefined || !claims.includes(str(spoolMount["name"])))
      problems.push("--spool-dir is not a volumeClaimTemplates mount");
    for (const svc of named(docs, "Service")) {
      const selector = rec(rec(svc["spec"])["selector"]);
      if (!Object.entries(selector).every(([k, v]) => labels[k] === v)) continue;
      for (const p of list(rec(svc["spec"])["ports"]).map(rec)) {
        const target = p["targetPort"] ?? p["port"];
        const resolved = typeof target === "number" ? target : byName.get(str(target));
        if (resolved === undefined || !numbers.includes(resolved))
          problems.push(`Service ${nameOf(svc)}: targetPort ${str(target)} is no containerPort`);
        else if (Number(p["port"]) !== resolved)
          problems.push(`Service ${nameOf(svc)}: port ${str(p["port"])} differs from containerPort ${resolved}`);
      }
    }
  }
  return problems;
}

/**
 * Closed by default (issue 12 item 10): the bridge container runs the sink with mTLS from mounted
 * files (a Secret of a cert-manager Certificate, Dapr's trust anchors), and a NetworkPolicy that
 * selects the bridge pods admits only Dapr-injected pods to the sink and nobody else to any port.
 */
function kubernetesSecurityProblems(docs: readonly Doc[]): string[] {
  const problems: string[] = [];
  for (const w of docs.filter((d) => d["kind"] === "StatefulSet" || d["kind"] === "Deployment")) {
    const template = rec(rec(w["spec"])["template"]);
    const labels = rec(rec(template["metadata"])["labels"]);
    const podSpec = rec(template["spec"]);
    const bridge = rec(list(podSpec["containers"])[0]);
    const args = strings(bridge["args"]);
    const mounts = list(bridge["volumeMounts"]).map(rec);
    const volumes = new Map(
      list(podSpec["volumes"])
        .map(rec)
        .map((v) => [str(v["name"]), v]),
    );
    const certificates = named(docs, "Certificate").map((c) => str(rec(c["spec"])["secretName"]));
    for (const tlsFlag of ["--tls-cert", "--tls-key", "--tls-client-ca"]) {
      const file = flag(args, tlsFlag);
      const mount = file === undefined ? undefined : mounts.find((m) => file.startsWith(`${str(m["mountPath"])}/`));
      if (file === undefined || mount === undefined) {
        problems.push(`${tlsFlag}: missing, or not a file in a mounted volume`);
        continue;
      }
      const volume = volumes.get(str(mount["name"])) ?? {};
      const secret = str(rec(volume["secret"])["secretName"]);
      const configMap = str(rec(volume["configMap"])["name"]);
      if (
        tlsFlag === "--tls-client-ca" ? configMap === undefined && secret === undefined : !certificates.includes(secret)
      ) {
        problems.push(
          `${tlsFlag}: volume ${str(mount["name"])} is not ${tlsFlag === "--tls-client-ca" ? "a trust bundle" : "the Secret of a Certificate"}`,
        );
      }
    }
    const ports = list(bridge["ports"]).map(rec);
    const sinkPort = portOf(flag(args, "--listen"));
    const sinkName = str(ports.find((p) => Number(p["containerPort"]) === sinkPort)?.["name"]);
    const policies = named(docs, "NetworkPolicy").filter((p) => {
      const selector = rec(rec(rec(p["spec"])["podSelector"])["matchLabels"]);
      return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
    });
    if (policies.length === 0) problems.push(`no NetworkPolicy selects ${nameOf(w)}'s pods`);
    for (const policy of policies) {
      const spec = rec(policy["spec"]);
      if (!strings(spec["policyTypes"]).includes("Ingress"))
        problems.push(`NetworkPolicy ${nameOf(policy)}: no Ingress policy type`);
      const rules = list(spec["ingress"]).map(rec);
      for (const rule of rules) {
        const from = list(rule["from"]).map(rec);
        const rulePorts = list(rule["ports"]).map((p) => str(rec(p)["port"]));
        if (from.length === 0 || rulePorts.length === 0)
          problems.push(`NetworkPolicy ${nameOf(policy)}: a rule admits any peer or any port`);
        const toSink = rulePorts.some((p) => p === sinkName || p === String(sinkPort));
        const injected = from.every(
          (peer) => rec(rec(peer["podSelector"])["matchLabels"])["dapr.io/sidecar-injected"] === "true",
        );
        if (toSink && !injected)
          problems.push(`NetworkPolicy ${nameOf(policy)}: the sink admits pods without a Dapr sidecar`);
      }
      if (
        !rules.some((rule) =>
          list(rule["ports"]).some((p) => [sinkName, String(sinkPort)].includes(str(rec(p)["port"]))),
        )
      ) {
        problems.push(`NetworkPolicy ${nameOf(policy)}: no rule admits sidecars to the sink`);
      }
    }
  }
  return problems;
}

const k8sDocs = (): Doc[] => yamlFiles(path.join(ROOT, "docs/deploy")).flatMap(docsOf);

describe("deployment files", () => {
  it("components/: every YAML parses and every document has apiVersion, kind and metadata.name", () => {
    const files = yamlFiles(COMPONENTS);
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const docs = docsOf(file);
      expect(docs.length, file).toBeGreaterThan(0);
      for (const d of docs) {
        expect(
          [str(d["apiVersion"]), str(d["kind"]), nameOf(d)].every((v) => v !== undefined && v !== ""),
          file,
        ).toBe(true);
      }
    }
  });

  it("docker-compose.yml: referenced files, folders and volumes exist", () => {
    expect(composePathProblems(loadCompose())).toEqual([]);
  });

  it.each([
    ["protobuf", {}],
    ["json", { EVENT_FORMAT: "json" }],
  ] as const)(
    "docker-compose.yml (%s format): ports, sidecars, components, subscriptions and topics agree",
    (_format, env) => {
      expect(composeWiringProblems(loadCompose(env))).toEqual([]);
    },
  );

  it("docker-compose.yml: compose stops the bridge before its sidecar, after its drain timeout; daprd is the tested 1.18.2", () => {
    expect(composeShutdownProblems(loadCompose())).toEqual([]);
  });

  it("components/: Redis subscribers get one message at a time and Kafka keeps rawPayload, partitionKey and trace ids out of headers", () => {
    const docs = yamlFiles(COMPONENTS).flatMap(docsOf);
    expect(named(docs, "Component").map((c) => str(rec(c["spec"])["type"]))).toEqual(
      expect.arrayContaining(["pubsub.redis", "pubsub.kafka"]),
    );
    expect(pubsubComponentProblems(docs)).toEqual([]);
  });

  it("docs/deploy: termination grace > daprd block-shutdown + graceful shutdown, block-shutdown >= the bridge's drain", () => {
    expect(kubernetesShutdownProblems(k8sDocs())).toEqual([]);
  });

  it("Dockerfile: copied sources exist and EXPOSE matches the CMD's ports", () => {
    expect(dockerfileProblems(readFileSync(path.join(ROOT, "Dockerfile"), "utf8"))).toEqual([]);
  });

  it("docs/deploy: the Kubernetes YAML parses and ports, probes and the spool claim agree", () => {
    expect(kubernetesProblems(k8sDocs())).toEqual([]);
  });

  it("docs/deploy: the sink runs mTLS from a Certificate and Dapr's trust anchors, behind a NetworkPolicy for sidecars", () => {
    expect(kubernetesSecurityProblems(k8sDocs())).toEqual([]);
  });

  it("the bridge's default topics are the ones the Kubernetes ConfigMap and the subscriptions use", () => {
    const configMap = named(k8sDocs(), "ConfigMap")[0] ?? {};
    const config = rec(parse(str(rec(configMap["data"])["config.yaml"]) ?? ""));
    expect([config["topic"], config["deadLetterTopic"], config["pubsub"]]).toEqual([
      "dapr-events",
      "dapr-events-deadletter",
      "pubsub",
    ]);
  });
});

describe("the checks catch breakage", () => {
  const withService = (compose: Compose, name: string, patch: Doc): Compose => ({
    ...compose,
    services: { ...rec(compose["services"]), [name]: { ...service(compose, name), ...patch } },
  });

  it("a missing bind-mount source or build context is reported", () => {
    const compose = withService(loadCompose(), "subscriber", { volumes: ["./examples/no-such-folder:/app:ro"] });
    expect(composePathProblems(compose).join("\n")).toContain("no-such-folder");
    const noContext = withService(loadCompose(), "bridge", { build: { context: "./missing-context" } });
    expect(composePathProblems(noContext).join("\n")).toContain("missing-context");
  });

  it("a bridge port that disagrees with the published ports or the emitter's target is reported", () => {
    const compose = loadCompose();
    const args = command(service(compose, "bridge")).map((a) => (a === "0.0.0.0:50051" ? "0.0.0.0:50052" : a));
    const problems = composeWiringProblems(withService(compose, "bridge", { command: args })).join("\n");
    expect(problems).toContain("--listen port 50052");
    expect(problems).toContain("emitter: --target bridge:50051 is not bridge:50052");
  });

  it("a topic the subscriptions do not use, and resources outside components/, are reported", () => {
    const compose = loadCompose();
    const args = command(service(compose, "bridge")).map((a) => (a === "dapr-events" ? "other-topic" : a));
    expect(composeWiringProblems(withService(compose, "bridge", { command: args })).join("\n")).toContain(
      "Subscriptions to other-topic",
    );
    const sidecar = withService(compose, "bridge-dapr", { volumes: ["./docs:/components:ro"] });
    expect(composeWiringProblems(sidecar).join("\n")).toContain("not under components/");
  });

  it("a sidecar stopped before the bridge, a short grace period, and another daprd image are reported", () => {
    const compose = loadCompose();
    const reversed = withService(
      withService(compose, "bridge", { network_mode: undefined, stop_grace_period: "15s" }),
      "bridge-dapr",
      { image: "daprio/daprd:1.17.0" },
    );
    const problems = composeShutdownProblems(reversed).join("\n");
    expect(problems).toContain("compose would stop the sidecar first");
    expect(problems).toContain("stop_grace_period 15s is not above --drain-timeout (20000 ms)");
    expect(problems).toContain("daprd:1.17.0 is not the daprd the real-Dapr tests run");
  });

  it("a Redis component with default concurrency and a Kafka component without excludeHeaderMetaRegex are reported", () => {
    const strip = (d: Doc, name: string): Doc => ({
      ...d,
      spec: { ...rec(d["spec"]), metadata: list(rec(d["spec"])["metadata"]).filter((m) => rec(m)["name"] !== name) },
    });
    const docs = yamlFiles(COMPONENTS)
      .flatMap(docsOf)
      .map((d) => strip(strip(d, "concurrency"), "excludeHeaderMetaRegex"));
    const problems = pubsubComponentProblems(docs).join("\n");
    expect(problems).toContain('concurrency is not "1"');
    expect(problems).toContain("no excludeHeaderMetaRegex");
  });

  it("Kubernetes grace periods out of order are reported", () => {
    const docs = k8sDocs().map((d) => {
      if (d["kind"] !== "StatefulSet") return d;
      const template = rec(rec(d["spec"])["template"]);
      const metadata = rec(template["metadata"]);
      return {
        ...d,
        spec: {
          ...rec(d["spec"]),
          template: {
            ...template,
            metadata: {
              ...metadata,
              annotations: { ...rec(metadata["annotations"]), "dapr.io/block-shutdown-duration": "10s" },
            },
            spec: { ...rec(template["spec"]), terminationGracePeriodSeconds: 12 },
          },
        },
      };
    });
    const problems = kubernetesShutdownProblems(docs).join("\n");
    expect(problems).toContain("block-shutdown-duration 10s is below --drain-timeout");
    expect(problems).toContain("terminationGracePeriodSeconds 12 is not above");
  });

  it("a plaintext sink, and a NetworkPolicy that is missing or open to any pod, are reported", () => {
    const plaintext = k8sDocs().map((d) => {
      if (d["kind"] !== "StatefulSet") return d;
      const template = rec(rec(d["spec"])["template"]);
      const podSpec = rec(template["spec"]);
      const [bridge, ...rest] = list(podSpec["containers"]).map(rec);
      const args = strings(bridge?.["args"]);
      const cut = args.indexOf("--tls-cert");
      const stripped = { ...bridge, args: [...args.slice(0, cut), ...args.slice(cut + 2)] };
      return {
        ...d,
        spec: { ...rec(d["spec"]), template: { ...template, spec: { ...podSpec, containers: [stripped, ...rest] } } },
      };
    });
    expect(kubernetesSecurityProblems(plaintext).join("\n")).toContain("--tls-cert: missing");
    const noPolicy = k8sDocs().filter((d) => d["kind"] !== "NetworkPolicy");
    expect(kubernetesSecurityProblems(noPolicy).join("\n")).toContain("no NetworkPolicy selects");
    const open = k8sDocs().map((d) =>
      d["kind"] === "NetworkPolicy"
        ? {
            ...d,
            spec: { ...rec(d["spec"]), ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: "sink" }] }] },
          }
        : d,
    );
    expect(kubernetesSecurityProblems(open).join("\n")).toContain("the sink admits pods without a Dapr sidecar");
  });

  it("a Service port that no container port matches, and a Dockerfile COPY of a missing file, are reported", () => {
    const docs = k8sDocs().map((d) =>
      d["kind"] === "Service"
        ? { ...d, spec: { ...rec(d["spec"]), ports: [{ name: "grpc-sink", port: 50051, targetPort: 50099 }] } }
        : d,
    );
    expect(kubernetesProblems(docs).join("\n")).toContain("targetPort 50099 is no containerPort");
    const dockerfile = readFileSync(path.join(ROOT, "Dockerfile"), "utf8").replace(
      "COPY src ./src",
      "COPY no-such-dir ./src",
    );
    expect(dockerfileProblems(dockerfile).join("\n")).toContain("COPY no-such-dir: missing");
  });
});
