/**
 * Summarises V8 `.cpuprofile` files (from `node --cpu-prof`) by self time:
 * `node dist/bench/profile-summary.js <file-or-dir> [--top N]`.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples?: readonly number[];
  readonly timeDeltas?: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

/** One function's share of the samples. */
export interface SelfTimeRow {
  /** `name (file:line)`; `(program)`, `(garbage collector)` and `(idle)` are V8's own. */
  readonly function: string;
  readonly selfMs: number;
  /** Share of all sampled time, percent. */
  readonly selfPercent: number;
}

function shortUrl(url: string): string {
  const marker = url.lastIndexOf("node_modules/");
  if (marker >= 0) return url.slice(marker + "node_modules/".length);
  const dist = url.lastIndexOf("/dist/");
  if (dist >= 0) return url.slice(dist + 1);
  return url.replace(/^file:\/\//, "");
}

/** Self time per function (same name, file and line merged), largest first. */
export function selfTimes(profile: CpuProfile): SelfTimeRow[] {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  if (samples.length > 0) {
    // Each sample's time is the delta to the next one.
    samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0)));
  } else {
    const perHit =
      (profile.endTime - profile.startTime) /
      Math.max(
        1,
        profile.nodes.reduce((n, x) => n + (x.hitCount ?? 0), 0),
      );
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * perHit);
  }
  const merged = new Map<string, number>();
  let total = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined) continue;
    const name = frame.functionName === "" ? "(anonymous)" : frame.functionName;
    const key = frame.url === "" ? name : `${name} (${shortUrl(frame.url)}:${frame.lineNumber + 1})`;
    merged.set(key, (merged.get(key) ?? 0) + us);
    total += us;
  }
  return [...merged]
    .map(([fn, us]) => ({ function: fn, selfMs: us / 1000, selfPercent: total === 0 ? 0 : (us / total) * 100 }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** Self time per file (module), largest first: which component the time goes to. */
export function selfTimesByFile(rows: readonly SelfTimeRow[]): SelfTimeRow[] {
  const merged = new Map<string, { ms: number; pct: number }>();
  for (const row of rows) {
    const file = /\(([^()]*):\d+\)$/.exec(row.function)?.[1] ?? row.function;
    const entry = merged.get(file) ?? { ms: 0, pct: 0 };
    entry.ms += row.selfMs;
    entry.pct += row.selfPercent;
    merged.set(file, entry);
  }
  return [...merged]
    .map(([file, e]) => ({ function: file, selfMs: e.ms, selfPercent: e.pct }))
    .sort((a, b) => b.selfMs - a.selfMs);
}

/** Reads a `.cpuprofile` file. */
export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
}

function profilesIn(target: string): string[] {
  if (!statSync(target).isDirectory()) return [target];
  return readdirSync(target)
    .filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(target, f));
}

function table(rows: readonly SelfTimeRow[], top: number): string {
  return rows
    .slice(0, top)
    .map((r) => `${r.selfPercent.toFixed(1).padStart(6)}%  ${r.selfMs.toFixed(0).padStart(7)} ms  ${r.function}`)
    .join("\n");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = process.argv[2];
  const topIndex = process.argv.indexOf("--top");
  const top = topIndex > 0 ? Number(process.argv[topIndex + 1]) : 25;
  if (target === undefined) {
    process.stderr.write("usage: node dist/bench/profile-summary.js <file.cpuprofile | dir> [--top N]\n");
    process.exit(2);
  }
  for (const file of profilesIn(target)) {
    const rows = selfTimes(readProfile(file));
    process.stdout.write(
      `${file}\n\ntop functions by self time:\n${table(rows, top)}\n\nby file:\n${table(selfTimesByFile(rows), 15)}\n\n`,
    );
  }
}
