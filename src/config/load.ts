import { readFileSync, statSync } from "node:fs";
import { Option, type Command } from "commander";
import { isNode, LineCounter, parseDocument, type Document } from "yaml";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { BridgeConfig } from "./bridge-config.js";
import { issueProblems, renderPath, renderProblem, type ConfigProblem } from "./problems.js";
import { bridgeConfigSchema } from "./schema.js";
import { knownKeysAt, SETTING_LIST, type SettingInfo } from "./settings.js";

/** Options of {@link resolveConfig}. */
export interface ResolveConfigOptions {
  /** Commander options (`cmd.opts()`): camelCase attribute names of the flags; `undefined` means not given. */
  readonly flags: Readonly<Record<string, unknown>>;
  /** The environment (`process.env`). */
  readonly env: NodeJS.ProcessEnv;
  /** A YAML file of settings. @default the `--config` flag, else env BRIDGE_CONFIG, else none */
  readonly file?: string;
}

/** The outcome of {@link validateConfig}: the config, or every problem found. */
export type ConfigResult =
  | { readonly ok: true; readonly config: BridgeConfig }
  | { readonly ok: false; readonly problems: readonly ConfigProblem[]; readonly file?: string };

type Source =
  | { readonly kind: "flag" | "env"; readonly name: string }
  | { readonly kind: "file"; readonly file: string; readonly doc: Document; readonly lines: LineCounter };

/** Largest config file, bytes: a config is a few KiB; a bigger file is a mistake (or an attack on the heap). */
export const MAX_CONFIG_FILE_BYTES = 1_048_576;
/** Most YAML aliases (`*name`) a config file may use: bounds a "billion laughs" expansion. */
export const MAX_CONFIG_ALIASES = 100;
/** What a problem shows instead of a secret's value. */
const NOT_SHOWN = "a value (not shown: it is a secret)";
const SECRETS: readonly SettingInfo[] = SETTING_LIST.filter((setting) => setting.secret === true);

/** The environment variable that names the config file. */
export const CONFIG_FILE_ENV = "BRIDGE_CONFIG";
const CONFIG_FLAG = "config";

/** Environment entries of the table that combine several variables. */
const COMPOSITE_ENV: Readonly<Record<string, (env: NodeJS.ProcessEnv) => string | undefined>> = {
  "DAPR_HOST + DAPR_GRPC_PORT": (env) => {
    const host = nonEmptyEnv(env, "DAPR_HOST");
    const port = nonEmptyEnv(env, "DAPR_GRPC_PORT");
    // The Dapr SDKs' defaults for whichever of the two is unset.
    return host === undefined && port === undefined ? undefined : `${host ?? "127.0.0.1"}:${port ?? "50001"}`;
  },
};

function nonEmptyEnv(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === "" ? undefined : value;
}

/** The commander attribute name of a flag: `--spool-dir` → `spoolDir`. */
export function flagAttribute(flag: string): string {
  return flag.replace(/^--/, "").replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?$/i;

/** Converts a flag or environment string by the setting's kind; unconvertible text is kept for the schema to report. */
function fromText(setting: SettingInfo, text: string): unknown {
  switch (setting.kind) {
    case "integer":
    case "number":
      return NUMBER.test(text.trim()) ? Number(text.trim()) : text;
    case "list":
      return text
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
    default:
      return text;
  }
}

class Layers {
  readonly input: Record<string, unknown> = {};
  readonly sources = new Map<string, Source>();

  set(path: readonly string[], value: unknown, source: Source): void {
    let node = this.input;
    for (const key of path.slice(0, -1)) {
      const next = node[key];
      if (next === undefined) node = node[key] = {};
      else if (isMapping(next)) node = next;
      else return; // A file gave a non-mapping here; the schema reports it.
    }
    node[path[path.length - 1] ?? ""] = value;
    this.sources.set(path.join("."), source);
  }

  whereOf(path: readonly PropertyKey[]): string {
    const key = path.map(String).join(".");
    const below = [...this.sources].filter(([k, s]) => key !== "" && k.startsWith(`${key}.`) && s.kind !== "file");
    if (below.length > 0) return [...new Set(below.map(([, s]) => describeSource(s, path)))].join(" + ");
    for (let n = path.length; n >= 0; n--) {
      const source = this.sources.get(path.slice(0, n).map(String).join("."));
      if (source !== undefined) return describeSource(source, path);
    }
    return `default of ${renderPath(path)}`;
  }
}

function describeSource(source: Source, path: readonly PropertyKey[]): string {
  if (source.kind !== "file") return `${source.kind} ${source.name}`;
  if (path.length === 0) return `file ${source.file}`;
  const node: unknown = source.doc.getIn(path, true);
  const offset = isNode(node) ? node.range?.[0] : undefined;
  const line = offset === undefined ? "" : ` (line ${source.lines.linePos(offset).line})`;
  return `file ${source.file} key ${renderPath(path)}${line}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function loadFile(file: string, layers: Layers, problems: ConfigProblem[]): void {
  let text: string;
  try {
    const size = statSync(file).size;
    if (size > MAX_CONFIG_FILE_BYTES) {
      problems.push({
        where: `file ${file}`,
        expected: `a file of at most ${MAX_CONFIG_FILE_BYTES} bytes`,
        got: `${size} bytes`,
      });
      return;
    }
    text = readFileSync(file, "utf8");
  } catch (error) {
    problems.push({ where: `file ${file}`, expected: "a readable YAML file", got: BridgeError.from(error).message });
    return;
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  for (const error of doc.errors) {
    const where = `file ${file} line ${lines.linePos(error.pos[0]).line}`;
    problems.push({ where, expected: "valid YAML", got: error.message.split("\n")[0] ?? error.code });
  }
  if (doc.errors.length > 0) return;
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_CONFIG_ALIASES });
  } catch (error) {
    // yaml throws when aliases expand past maxAliasCount ("Excessive alias count ...").
    problems.push({
      where: `file ${file}`,
      expected: `at most ${MAX_CONFIG_ALIASES} aliases (YAML *references)`,
      got: BridgeError.from(error).message,
    });
    return;
  }
  if (value === null || value === undefined) return; // An empty file: all defaults.
  if (!isMapping(value)) {
    problems.push({
      where: `file ${file}`,
      expected: "a mapping of settings (YAML keys are BridgeConfig names)",
      got: Array.isArray(value) ? "a list" : JSON.stringify(value),
    });
    return;
  }
  layers.sources.set("", { kind: "file", file, doc, lines });
  refuseSecrets(value, layers, problems);
  Object.assign(layers.input, value);
}

/**
 * Secrets come from the environment only: a file is read by more people (and versioned). A secret
 * found in a file is a problem that names the variable to use; its value is removed, never shown.
 */
function refuseSecrets(value: Record<string, unknown>, layers: Layers, problems: ConfigProblem[]): void {
  for (const setting of SECRETS) {
    let node: Record<string, unknown> | undefined = value;
    for (const key of setting.path.slice(0, -1)) {
      const next: unknown = node?.[key];
      node = isMapping(next) ? next : undefined;
    }
    const leaf = setting.path[setting.path.length - 1] ?? "";
    if (node === undefined || !Object.hasOwn(node, leaf)) continue;
    const env = (setting.env ?? []).join(" or ");
    problems.push({
      where: layers.whereOf(setting.path),
      expected: `no ${setting.key} in a file (a secret: set ${env} in the environment)`,
      got: NOT_SHOWN,
    });
    delete node[leaf];
  }
}

function loadEnv(env: NodeJS.ProcessEnv, layers: Layers): void {
  for (const setting of SETTING_LIST) {
    for (const name of setting.env ?? []) {
      const composite = COMPOSITE_ENV[name];
      const raw = composite === undefined ? env[name] : composite(env);
      if (raw === undefined || (raw === "" && setting.allowEmpty !== true)) continue;
      layers.set(setting.path, fromText(setting, raw), { kind: "env", name });
      break;
    }
  }
}

function loadFlags(flags: Readonly<Record<string, unknown>>, layers: Layers): void {
  for (const setting of SETTING_LIST) {
    if (setting.flag === undefined) continue;
    const value = flags[flagAttribute(setting.flag)];
    if (value === undefined) continue;
    layers.set(setting.path, typeof value === "string" ? fromText(setting, value) : value, {
      kind: "flag",
      name: setting.flag,
    });
  }
}

/**
 * Resolves and validates the configuration: flags > environment > file > defaults, each key on its
 * own. Every problem is collected, never just the first.
 */
export function validateConfig(options: ResolveConfigOptions): ConfigResult {
  const layers = new Layers();
  const problems: ConfigProblem[] = [];
  const flagFile = options.flags[CONFIG_FLAG];
  const file =
    options.file ?? (typeof flagFile === "string" ? flagFile : undefined) ?? nonEmptyEnv(options.env, CONFIG_FILE_ENV);
  if (file !== undefined) loadFile(file, layers, problems);
  loadEnv(options.env, layers);
  loadFlags(options.flags, layers);
  const parsed = bridgeConfigSchema.safeParse(layers.input, { reportInput: true });
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const secret = SECRETS.some((setting) => setting.key === issue.path.map(String).join("."));
      const found = issueProblems(issue, (path) => layers.whereOf(path), knownKeysAt);
      problems.push(...(secret ? found.map((problem) => ({ ...problem, got: NOT_SHOWN })) : found));
    }
  }
  if (problems.length > 0 || !parsed.success) return { ok: false, problems, ...(file === undefined ? {} : { file }) };
  return { ok: true, config: parsed.data };
}

/**
 * Resolves the configuration like {@link validateConfig}.
 * @throws BridgeError InvalidConfig whose message lists every problem on its own line,
 *   `<where>: expected <...>, got <...>`.
 */
export function resolveConfig(options: ResolveConfigOptions): BridgeConfig {
  const result = validateConfig(options);
  if (result.ok) return result.config;
  throw new BridgeError(ErrorCode.InvalidConfig, formatProblems(result.problems, result.file));
}

/**
 * The message of an invalid configuration: a header line (naming the config file, when one was
 * read), then one line per problem.
 */
export function formatProblems(problems: readonly ConfigProblem[], file?: string): string {
  const count = `${problems.length} problem${problems.length === 1 ? "" : "s"}`;
  const header = `invalid configuration (${file === undefined ? count : `config file ${file}; ${count}`}):`;
  return [header, ...problems.map(renderProblem)].join("\n");
}

const ARG_BY_KIND: Readonly<Record<SettingInfo["kind"], string>> = {
  string: "<value>",
  integer: "<n>",
  number: "<x>",
  duration: "<duration>",
  list: "<a,b,...>",
  enum: "<value>",
};

/**
 * Adds `--config <file>` and every setting's flag to a command. No flag has a commander default,
 * so an absent flag leaves the environment, file and defaults in charge.
 */
export function addConfigOptions(cmd: Command): Command {
  cmd.addOption(new Option("--config <file>", `YAML configuration file (env ${CONFIG_FILE_ENV})`));
  for (const setting of SETTING_LIST) {
    if (setting.flag === undefined) continue;
    const env = setting.env === undefined ? "" : `; env ${setting.env.join(", ")}`;
    const arg =
      setting.key === "listen" || setting.key.endsWith("Listen") || setting.key === "daprGrpcEndpoint"
        ? "<host:port>"
        : ARG_BY_KIND[setting.kind];
    cmd.addOption(new Option(`${setting.flag} ${arg}`, `${setting.description} (key ${setting.key}${env})`));
  }
  return cmd;
}

/** A copy of the config fit for printing: every secret setting that is set becomes `***`. */
export function maskSecrets(config: BridgeConfig): BridgeConfig {
  const copy: Record<string, unknown> = structuredClone(config) as unknown as Record<string, unknown>;
  for (const setting of SETTING_LIST) {
    if (setting.secret !== true) continue;
    let node: Record<string, unknown> | undefined = copy;
    for (const key of setting.path.slice(0, -1)) {
      const next: unknown = node?.[key];
      node = isMapping(next) ? next : undefined;
    }
    const leaf = setting.path[setting.path.length - 1] ?? "";
    if (node !== undefined && node[leaf] !== undefined) node[leaf] = "***";
  }
  return copy as unknown as BridgeConfig;
}
