#!/usr/bin/env node
// Builds the real daprd the tests run, from Dapr's own Go modules (test/daprd), into .cache/daprd.
//
// Two Dapr lines: the newest 1.18 release (test/daprd/go.mod) and a 1.16 release (go-1.16.mod),
// which lacks the stable BulkPublishEvent method. A line is rebuilt only when its inputs change: the
// Go sources, its module and sum files, the Go version and this script's build flags. The result is
// .cache/daprd/daprd-<version> plus a manifest (.cache/daprd/manifest.json) that the tests read.
//
//   node scripts/build-daprd.mjs            build what is missing or stale
//   node scripts/build-daprd.mjs --force    rebuild both lines
//   node scripts/build-daprd.mjs --check    exit 0 when both binaries are current, 1 otherwise
//
// Without Go on the PATH it says so and exits 1 (the tests then skip the real-Dapr suites, except
// under CI=true, where a skip is a failure).

import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = path.join(root, "test", "daprd");
const cacheDir = path.join(root, ".cache", "daprd");
const manifestPath = path.join(cacheDir, "manifest.json");

/** daprd's own build tag for its stable components; components.go adds the rest the tests use. */
const TAGS = "stablecomponents";

/** The Dapr lines: a name the tests ask for, and the module file that pins its version. */
const LINES = [
  { line: "1.18", modfile: "go.mod" },
  { line: "1.16", modfile: "go-1.16.mod" },
];

function log(message) {
  process.stderr.write(`build-daprd: ${message}\n`);
}

function goVersion() {
  const result = spawnSync("go", ["env", "GOVERSION"], { encoding: "utf8" });
  if (result.error !== undefined || result.status !== 0) return undefined;
  return result.stdout.trim();
}

/** The Dapr version a module file requires, e.g. "1.18.2". */
function daprVersion(modfile) {
  const text = readFileSync(path.join(sourceDir, modfile), "utf8");
  const match = /github\.com\/dapr\/dapr v(\d+\.\d+\.\d+)/.exec(text);
  if (match === null) throw new Error(`${modfile} does not require github.com/dapr/dapr at a release version`);
  return match[1];
}

function sumFile(modfile) {
  return modfile.replace(/\.mod$/, ".sum");
}

/** A hash of everything that decides a line's binary. */
function inputsHash(modfile, go, version) {
  const hash = createHash("sha256");
  hash.update(`${go}\n${TAGS}\n${version}\n`);
  const goFiles = readdirSync(sourceDir)
    .filter((name) => name.endsWith(".go"))
    .sort();
  for (const name of [...goFiles, modfile, sumFile(modfile)]) {
    const file = path.join(sourceDir, name);
    hash.update(`${name}\n`);
    if (existsSync(file)) hash.update(readFileSync(file));
  }
  return hash.digest("hex");
}

function readManifest() {
  try {
    return JSON.parse(readFileSync(manifestPath, "utf8"));
  } catch {
    return { lines: {} };
  }
}

function isCurrent(manifest, line, hash) {
  const entry = manifest.lines[line];
  return entry !== undefined && entry.inputs === hash && existsSync(entry.binary);
}

/** Runs `go build -v`, showing how many packages it has compiled every 15 s. */
function goBuild(modfile, version, output) {
  const args = [
    "build",
    "-v",
    ...(modfile === "go.mod" ? [] : [`-modfile=${modfile}`]),
    "-tags",
    TAGS,
    "-trimpath",
    "-ldflags",
    `-s -w -X github.com/dapr/dapr/pkg/buildinfo.version=${version}`,
    "-o",
    output,
    ".",
  ];
  return new Promise((resolve, reject) => {
    const child = spawn("go", args, { cwd: sourceDir, stdio: ["ignore", "ignore", "pipe"] });
    let packages = 0;
    let tail = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk) => {
      tail = (tail + chunk).slice(-8000);
      for (const line of chunk.split("\n")) {
        if (line.startsWith("go: downloading")) log(`  ${line.slice(4)}`);
        else if (line.trim() !== "") packages++;
      }
    });
    const started = Date.now();
    const timer = setInterval(() => {
      log(`  daprd ${version}: ${packages} packages compiled, ${Math.round((Date.now() - started) / 1000)} s`);
    }, 15_000);
    child.on("error", (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on("close", (code) => {
      clearInterval(timer);
      if (code === 0) resolve(Math.round((Date.now() - started) / 1000));
      else reject(new Error(`go build of daprd ${version} (${modfile}) failed with exit code ${code}:\n${tail}`));
    });
  });
}

async function main() {
  const force = process.argv.includes("--force");
  const check = process.argv.includes("--check");
  const go = goVersion();
  if (go === undefined) {
    log("Go is not on the PATH: install Go 1.26 or later (with access to the Go module proxy) to build daprd.");
    process.exit(1);
  }
  const manifest = readManifest();
  const plans = LINES.map(({ line, modfile }) => {
    const version = daprVersion(modfile);
    return { line, modfile, version, hash: inputsHash(modfile, go, version) };
  });
  if (check) {
    const stale = plans.filter((plan) => !isCurrent(manifest, plan.line, plan.hash));
    for (const plan of stale) log(`daprd ${plan.version} (${plan.line}) is missing or stale`);
    process.exit(stale.length === 0 ? 0 : 1);
  }
  mkdirSync(cacheDir, { recursive: true });
  for (const plan of plans) {
    const binary = path.join(cacheDir, `daprd-${plan.version}`);
    if (!force && isCurrent(manifest, plan.line, plan.hash)) {
      log(`daprd ${plan.version} (${plan.line}) is up to date: ${path.relative(root, binary)}`);
      continue;
    }
    log(`building daprd ${plan.version} (${plan.line}) with ${go}, tags ${TAGS}; a cold build takes a few minutes`);
    const partial = `${binary}.partial`;
    rmSync(partial, { force: true });
    const seconds = await goBuild(plan.modfile, plan.version, partial);
    renameSync(partial, binary);
    manifest.lines[plan.line] = { version: plan.version, binary, inputs: plan.hash, buildSeconds: seconds };
    writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    log(`built daprd ${plan.version} (${plan.line}) in ${seconds} s: ${path.relative(root, binary)}`);
  }
}

main().catch((error) => {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
