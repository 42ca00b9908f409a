import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Command } from "commander";
import { ErrorCode } from "../errors/bridge-error.js";
import { addConfigOptions, maskSecrets, resolveConfig, validateConfig } from "./load.js";
import { thrown } from "../../test/helpers/thrown.js";

/** A temporary directory of YAML files, removed after the tests. */
const dir = mkdtempSync(join(tmpdir(), "bridge-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const files = {
  write(name: string, text: string): string {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  },
};

function problemsOf(options: Parameters<typeof validateConfig>[0]): string[] {
  const result = validateConfig(options);
  if (result.ok) throw new Error("expected an invalid configuration");
  return result.problems.map((p) => `${p.where}: expected ${p.expected}, got ${p.got}`);
}

describe("resolveConfig precedence", () => {
  const file = files.write(
    "p.yaml",
    "spoolDir: /file\ntopic: file-topic\npubsub: file-pubsub\nretry:\n  maxAttempts: 3\n  multiplier: 3\n",
  );
  const env = { BRIDGE_SPOOL_DIR: "/env", BRIDGE_TOPIC: "env-topic", BRIDGE_RETRY_MAX_ATTEMPTS: "4" };

  it("flag beats env beats file beats default, key by key", () => {
    const config = resolveConfig({ flags: { spoolDir: "/flag", maxAttempts: "5" }, env, file });
    expect(config.spoolDir).toBe("/flag"); // flag over env and file
    expect(config.retry.maxAttempts).toBe(5); // flag over env and file, nested
    expect(config.topic).toBe("env-topic"); // env over file
    expect(config.pubsub).toBe("file-pubsub"); // file over default
    expect(config.retry.multiplier).toBe(3); // file, nested, merged with env/flag keys
    expect(config.retry.initialBackoffMs).toBe(100); // default
    expect(config.listen).toBe("127.0.0.1:50051"); // default
  });

  it("env beats file, file beats defaults", () => {
    const config = resolveConfig({ flags: {}, env, file });
    expect(config.spoolDir).toBe("/env");
    expect(config.retry.maxAttempts).toBe(4);
    expect(resolveConfig({ flags: {}, env: {}, file }).spoolDir).toBe("/file");
    expect(resolveConfig({ flags: {}, env: {} }).spoolDir).toBe("./data");
  });

  it("takes the file from --config, then BRIDGE_CONFIG", () => {
    expect(resolveConfig({ flags: { config: file }, env: {} }).topic).toBe("file-topic");
    expect(resolveConfig({ flags: {}, env: { BRIDGE_CONFIG: file } }).topic).toBe("file-topic");
  });

  it("defaults deadLetterPubsub to the resolved pubsub", () => {
    expect(resolveConfig({ flags: { pubsub: "kafka" }, env: {} }).deadLetterPubsub).toBe("kafka");
    expect(resolveConfig({ flags: { pubsub: "kafka", deadLetterPubsub: "dl" }, env: {} }).deadLetterPubsub).toBe("dl");
  });

  it("reads the Dapr endpoint from DAPR_GRPC_ENDPOINT (TLS intent kept), else DAPR_HOST + DAPR_GRPC_PORT", () => {
    expect(resolveConfig({ flags: {}, env: { DAPR_GRPC_ENDPOINT: "http://dapr:50009" } }).daprGrpcEndpoint).toBe(
      "dapr:50009",
    );
    expect(
      resolveConfig({ flags: {}, env: { DAPR_GRPC_ENDPOINT: "https://dapr.example.com:443/" } }).daprGrpcEndpoint,
    ).toBe("https://dapr.example.com:443");
    expect(resolveConfig({ flags: {}, env: { DAPR_GRPC_ENDPOINT: "dapr:443?tls=true" } }).daprGrpcEndpoint).toBe(
      "https://dapr:443",
    );
    expect(resolveConfig({ flags: { daprGrpcEndpoint: "https://dapr:443" }, env: {} }).daprGrpcEndpoint).toBe(
      "https://dapr:443",
    );
    expect(problemsOf({ flags: {}, env: { DAPR_GRPC_ENDPOINT: "https://dapr:443?tls=false" } })).toHaveLength(1);
    expect(
      resolveConfig({ flags: {}, env: { DAPR_GRPC_ENDPOINT: "a:1", DAPR_HOST: "b", DAPR_GRPC_PORT: "2" } })
        .daprGrpcEndpoint,
    ).toBe("a:1");
    expect(resolveConfig({ flags: {}, env: { DAPR_HOST: "sidecar", DAPR_GRPC_PORT: "50010" } }).daprGrpcEndpoint).toBe(
      "sidecar:50010",
    );
    expect(resolveConfig({ flags: {}, env: { DAPR_GRPC_PORT: "50010" } }).daprGrpcEndpoint).toBe("127.0.0.1:50010");
    expect(resolveConfig({ flags: {}, env: {} }).daprGrpcEndpoint).toBe("127.0.0.1:50001");
    expect(problemsOf({ flags: {}, env: { DAPR_HOST: "sidecar", DAPR_GRPC_PORT: "x" } })).toEqual([
      'env DAPR_HOST + DAPR_GRPC_PORT: expected HOST:PORT, http://HOST:PORT or https://HOST:PORT (TLS; or ?tls=true) with a port 1..65535 (IPv6 hosts in brackets), got "sidecar:x"',
    ]);
  });

  it("reads DAPR_API_TOKEN and masks it for printing", () => {
    const config = resolveConfig({ flags: {}, env: { DAPR_API_TOKEN: "s3cret" } });
    expect(config.daprApiToken).toBe("s3cret");
    expect(maskSecrets(config).daprApiToken).toBe("***");
    expect(config.daprApiToken).toBe("s3cret"); // the original is untouched
    expect("daprApiToken" in maskSecrets(resolveConfig({ flags: {}, env: {} }))).toBe(false);
  });

  it("treats an empty env var as unset, except BRIDGE_METRICS_LISTEN", () => {
    const config = resolveConfig({ flags: {}, env: { BRIDGE_TOPIC: "", BRIDGE_METRICS_LISTEN: "" } });
    expect(config.topic).toBe("dapr-events");
    expect(config.metricsListen).toBe("");
  });
});

describe("resolveConfig problems", () => {
  it("reports every mistake of a file in one error, one line each, with key and line", () => {
    const file = files.write("three.yaml", "listen: nohost\nretry:\n  maxAttempts: 0\nformat: xml\n");
    const error = thrown(() => resolveConfig({ flags: {}, env: {}, file }));
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.message.split("\n")).toEqual([
      `invalid configuration (config file ${file}; 3 problems):`,
      `file ${file} key listen (line 1): expected HOST:PORT with a port 0..65535 (IPv6 hosts in brackets), got "nohost"`,
      `file ${file} key format (line 4): expected one of "protobuf", "json", got "xml"`,
      `file ${file} key retry.maxAttempts (line 3): expected a number >= 1, got 0`,
    ]);
  });

  it("rejects unknown keys, top-level and nested, suggesting the closest", () => {
    const file = files.write("unknown.yaml", "spooldir: x\nretry:\n  maxAtempts: 3\n  bogusSetting: 1\n");
    expect(problemsOf({ flags: {}, env: {}, file })).toEqual([
      `file ${file} key retry.maxAtempts (line 3): expected a known key (did you mean "maxAttempts"?), got unknown key "maxAtempts"`,
      `file ${file} key retry.bogusSetting (line 4): expected a known key (one of initialBackoffMs, multiplier, maxBackoffMs, maxAttempts, maxAgeMs), got unknown key "bogusSetting"`,
      `file ${file} key spooldir (line 1): expected a known key (did you mean "spoolDir"?), got unknown key "spooldir"`,
    ]);
  });

  it("reports wrong types from every source", () => {
    const file = files.write("types.yaml", "spoolMaxEvents: many\nretry: 5\nroutes: {}\n");
    expect(problemsOf({ flags: { maxInFlight: "lots" }, env: { BRIDGE_BATCH_MAX_BYTES: "1.5" }, file })).toEqual([
      `file ${file} key spoolMaxEvents (line 1): expected a number, got "many"`,
      `file ${file} key retry (line 2): expected a mapping, got 5`,
      "env BRIDGE_BATCH_MAX_BYTES: expected an integer, got 1.5",
      'flag --max-in-flight: expected a number, got "lots"',
      `file ${file} key routes (line 3): expected a list, got an empty mapping`,
    ]);
  });

  it("reports out-of-range values", () => {
    expect(
      problemsOf({
        flags: { listen: "127.0.0.1:70000", retryMultiplier: "0.5" },
        env: { BRIDGE_SPOOL_MAX_BYTES: "0" },
      }),
    ).toEqual([
      'flag --listen: expected HOST:PORT with a port 0..65535 (IPv6 hosts in brackets), got "127.0.0.1:70000"',
      "env BRIDGE_SPOOL_MAX_BYTES: expected a number >= 1, got 0",
      "flag --retry-multiplier: expected a number >= 1, got 0.5",
    ]);
  });

  it("accepts durations as ms numbers and unit strings, and reports bad ones", () => {
    const file = files.write(
      "durations.yaml",
      'drainTimeoutMs: "2m"\nretry:\n  maxBackoffMs: 1500\n  initialBackoffMs: "500ms"\n',
    );
    const config = resolveConfig({ flags: { publishTimeout: "20s" }, env: { BRIDGE_BATCH_LINGER_MS: "7" }, file });
    expect(config.drainTimeoutMs).toBe(120_000);
    expect(config.retry.maxBackoffMs).toBe(1500);
    expect(config.retry.initialBackoffMs).toBe(500);
    expect(config.publishTimeoutMs).toBe(20_000);
    expect(config.batch.lingerMs).toBe(7);
    expect(problemsOf({ flags: { drainTimeout: "20 seconds" }, env: {} })).toEqual([
      'flag --drain-timeout: expected a duration (a number of ms, or a string like "500ms", "20s", "2m", "1h", "1m30s"), got "20 seconds"',
    ]);
  });

  it("requires all three TLS files or none, naming the missing ones", () => {
    expect(problemsOf({ flags: { tlsCert: "c.pem" }, env: { BRIDGE_TLS_KEY: "k.pem" } })).toEqual([
      "env BRIDGE_TLS_KEY + flag --tls-cert: expected tls.certFile, tls.keyFile and tls.clientCaFile together, or none of them, " +
        "got only tls.certFile, tls.keyFile; missing tls.clientCaFile (--tls-client-ca, BRIDGE_TLS_CLIENT_CA)",
    ]);
    const config = resolveConfig({
      flags: { tlsCert: "c.pem", tlsKey: "k.pem", tlsClientCa: "ca.pem", tlsAllowAppIds: "a, b" },
      env: {},
    });
    expect(config.tls).toEqual({
      certFile: "c.pem",
      keyFile: "k.pem",
      clientCaFile: "ca.pem",
      allowTrustDomains: [],
      allowNamespaces: [],
      allowAppIds: ["a", "b"],
    });
    expect("tls" in resolveConfig({ flags: {}, env: {} })).toBe(false);
  });

  it("lower-cases allowed trust domains, and refuses one that cannot be a trust domain", () => {
    const tls = { tlsCert: "c.pem", tlsKey: "k.pem", tlsClientCa: "ca.pem" };
    const config = resolveConfig({ flags: { ...tls, tlsAllowTrustDomains: "Cluster.LOCAL,example.org" }, env: {} });
    expect(config.tls?.allowTrustDomains).toEqual(["cluster.local", "example.org"]);
    expect(problemsOf({ flags: { ...tls, tlsAllowTrustDomains: "spiffe://cluster.local" }, env: {} })).toEqual([
      'flag --tls-allow-trust-domains: expected a SPIFFE trust domain (letters, digits, ".", "-" and "_"; no scheme, port or path), got "spiffe://cluster.local"',
    ]);
  });

  it("reports route filter mistakes with their path", () => {
    const file = files.write(
      "routes.yaml",
      "routes:\n  - filter: { exact: { type: a }, prefix: { type: b } }\n  - filter: { any: [ { exact: {} } ] }\n    drop: true\n    topic: t\n",
    );
    expect(problemsOf({ flags: {}, env: {}, file })).toEqual([
      `file ${file} key routes[0].filter (line 2): expected exactly one dialect per filter (nest two with "all"), got exact and prefix`,
      `file ${file} key routes[1].filter.any[0].exact (line 3): expected a non-empty mapping of attribute name to value, got an empty mapping`,
      `file ${file} key routes[1].topic (line 5): expected no pubsub, topic or format on a drop route, got "t"`,
    ]);
  });

  it("reports unreadable files and YAML syntax errors", () => {
    expect(problemsOf({ flags: {}, env: {}, file: "/nonexistent/bridge.yaml" })[0]).toMatch(
      /^file \/nonexistent\/bridge.yaml: expected a readable YAML file, got .*ENOENT/,
    );
    const bad = files.write("bad.yaml", "listen: [\n");
    expect(problemsOf({ flags: {}, env: {}, file: bad })[0]).toMatch(
      new RegExp(`^file ${bad} line \\d+: expected valid YAML, got `),
    );
    const list = files.write("list.yaml", "- a\n");
    expect(problemsOf({ flags: {}, env: {}, file: list })).toEqual([
      `file ${list}: expected a mapping of settings (YAML keys are BridgeConfig names), got a list`,
    ]);
  });
});

describe("addConfigOptions", () => {
  it("adds every flag without defaults, so commander options feed resolveConfig", () => {
    const cmd = addConfigOptions(new Command("run").exitOverride());
    cmd.parse(
      [
        "--spool-dir",
        "/x",
        "--drain-timeout",
        "20s",
        "--max-attempts",
        "7",
        "--tls-client-ca",
        "ca.pem",
        "--dead-letter-topic",
        "dl",
      ],
      { from: "user" },
    );
    const flags = cmd.opts();
    expect(Object.values(flags).filter((v) => v !== undefined)).toHaveLength(5);
    const problems = problemsOf({ flags, env: {} });
    expect(problems).toHaveLength(1); // only the partial TLS
    expect(problems[0]).toMatch(/^flag --tls-client-ca: expected tls.certFile/);
    const config = resolveConfig({ flags: { ...flags, tlsClientCa: undefined }, env: {} });
    expect([config.spoolDir, config.drainTimeoutMs, config.retry.maxAttempts, config.deadLetterTopic]).toEqual([
      "/x",
      20_000,
      7,
      "dl",
    ]);
  });
});

describe("config files that try to hurt (issue 12 item 11)", () => {
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (const [i, name] of ["b", "c", "d", "e", "f", "g", "h", "i"].entries()) {
    const prev = i === 0 ? "a" : ["b", "c", "d", "e", "f", "g", "h"][i - 1];
    laughs.push(`${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
  }

  it("reports a billion-laughs file as a problem naming the file, never by throwing", () => {
    const file = files.write("laughs.yaml", laughs.join("\n") + "\n");
    const problems = problemsOf({ flags: {}, env: {}, file });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`file ${file}`);
    expect(problems[0]).toMatch(/at most 100 aliases/);
    expect(thrown(() => resolveConfig({ flags: {}, env: {}, file })).message).toContain(file);
  });

  it("refuses a file over 1 MiB before parsing it, naming the file", () => {
    const file = files.write("huge.yaml", `topic: t\n${"# padding\n".repeat(300_000)}`);
    const problems = problemsOf({ flags: {}, env: {}, file });
    expect(problems).toEqual([`file ${file}: expected a file of at most 1048576 bytes, got 3000009 bytes`]);
  });

  it.each([
    ["a number", "daprApiToken: 8675309\n", "8675309"],
    ["a string", "daprApiToken: s3cr3t-t0ken\n", "s3cr3t-t0ken"],
  ])("refuses daprApiToken in a file (%s), pointing at DAPR_API_TOKEN and never echoing it", (_kind, text, secret) => {
    const file = files.write("token.yaml", `topic: t\n${text}`);
    const result = validateConfig({ flags: {}, env: {}, file });
    expect(result.ok).toBe(false);
    const message = thrown(() => resolveConfig({ flags: {}, env: {}, file })).message;
    expect(message).toContain(`file ${file} key daprApiToken (line 2)`);
    expect(message).toContain("DAPR_API_TOKEN");
    expect(message).not.toContain(secret);
  });

  it("still takes the token from DAPR_API_TOKEN, and never echoes a bad one", () => {
    expect(resolveConfig({ flags: {}, env: { DAPR_API_TOKEN: "from-env" } }).daprApiToken).toBe("from-env");
  });
});
