import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CommanderError, type Command } from "commander";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteSpool } from "../../spool/sqlite-spool.js";
import { deadLettersCommand, parseDuration } from "./dead-letters.js";
import { formatAge, spoolCommand } from "./spool.js";

interface Run {
  out: string;
  err: string;
  exitCode: number;
}

/** Runs a command tree with its output captured and exits turned into results. */
async function run(command: Command, args: string[]): Promise<Run> {
  const result: Run = { out: "", err: "", exitCode: 0 };
  const capture = (node: Command): void => {
    node.exitOverride().configureOutput({
      writeOut: (text) => (result.out += text),
      writeErr: (text) => (result.err += text),
    });
    node.commands.forEach(capture);
  };
  capture(command);
  try {
    await command.parseAsync(args, { from: "user" });
  } catch (reason) {
    if (!(reason instanceof CommanderError)) throw reason;
    result.exitCode = reason.exitCode;
  }
  return result;
}

describe("spool and dead-letters commands", () => {
  let dir: string;
  let seqs: number[];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), "spool-cli-"));
    const spool = new SqliteSpool({ dir, maxEvents: 100, maxBytes: 100_000 });
    try {
      const types = ["io.dapr.workflows.failed", "io.dapr.actors.invoked", "io.dapr.workflows.started"];
      const appended = spool.append(
        types.map((type, index) => ({
          id: `id-${index}`,
          key: `k${index}`,
          type,
          pubsub: "pubsub",
          topic: "events",
          format: "protobuf" as const,
          payload: new Uint8Array(100),
          acceptedAt: Date.now() - 60_000,
        })),
      );
      seqs = appended.map((e) => e.seq);
      spool.markDead(
        appended.slice(0, 2).map((e) => ({
          seq: e.seq,
          payload: new Uint8Array(150),
          pubsub: "pubsub",
          topic: "dead",
          reason: "max_attempts",
          error: "INVALID_ARGUMENT: no such topic",
          attempts: 10,
        })),
      );
    } finally {
      spool.close();
    }
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("spool stats prints counts, bytes and the oldest pending age, or JSON", async () => {
    const human = await run(spoolCommand(), ["stats", "--spool-dir", dir]);
    expect(human.exitCode).toBe(0);
    expect(human.out).toMatch(/pending\s+1\n/);
    expect(human.out).toMatch(/dead\s+2\n/);
    expect(human.out).toMatch(/bytes\s+400 B \(400\)\n/);
    expect(human.out).toMatch(/oldest pending\s+1m( \d+s)? ago\n/);

    const json = await run(spoolCommand(), ["stats", "--spool-dir", dir, "--json"]);
    expect(JSON.parse(json.out)).toMatchObject({ pending: 1, dead: 2, bytes: 400, file: join(dir, "spool.db") });
  });

  it("spool stats asks a running bridge's metrics for the events in flight", async () => {
    const server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end("# TYPE dapr_event_bridge_in_flight_events gauge\ndapr_event_bridge_in_flight_events 7\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const url = `http://127.0.0.1:${port}/metrics`;
      const human = await run(spoolCommand(), ["stats", "--spool-dir", dir, "--metrics-url", url]);
      expect(human.out).toMatch(/in flight\s+7\n/);
      const json = await run(spoolCommand(), ["stats", "--spool-dir", dir, "--metrics-url", url, "--json"]);
      expect(JSON.parse(json.out)).toMatchObject({ inFlight: 7 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    const closed = await run(spoolCommand(), [
      "stats",
      "--spool-dir",
      dir,
      "--metrics-url",
      "http://127.0.0.1:9/metrics",
    ]);
    expect(closed.out).toMatch(/in flight\s+unknown \(no bridge answered at http:\/\/127\.0\.0\.1:9\/metrics\)\n/);
  });

  it("exits 2 with what went wrong and what to do", async () => {
    const missing = await run(spoolCommand(), ["stats", "--spool-dir", join(dir, "nope")]);
    expect(missing.exitCode).toBe(2);
    expect(missing.err).toMatch(/There is no spool at .*nope.*Check --spool-dir/);

    const badAge = await run(deadLettersCommand(), ["list", "--spool-dir", dir, "--older-than", "1x"]);
    expect(badAge.exitCode).toBe(2);
    expect(badAge.err).toMatch(/--older-than expects a duration .* got "1x"/);
  });

  it("dead-letters list filters by type and prints a table or JSON", async () => {
    const listed = await run(deadLettersCommand(), ["list", "--spool-dir", dir, "--type", "io.dapr.workflows.*"]);
    expect(listed.exitCode).toBe(0);
    expect(listed.out).toMatch(/^SEQ\s+ID\s+TYPE/);
    expect(listed.out).toContain("io.dapr.workflows.failed");
    expect(listed.out).not.toContain("io.dapr.actors.invoked");

    const json = await run(deadLettersCommand(), ["list", "--spool-dir", dir, "--json", "--newer-than", "1h"]);
    expect((JSON.parse(json.out) as Array<{ seq: number }>).map((d) => d.seq)).toEqual(seqs.slice(0, 2));

    const none = await run(deadLettersCommand(), ["list", "--spool-dir", dir, "--older-than", "1h"]);
    expect(none.out).toBe("No dead letters match.\n");
  });

  it("dead-letters replay moves them back to pending", async () => {
    const replayed = await run(deadLettersCommand(), [
      "replay",
      "--spool-dir",
      dir,
      "--type",
      "io.dapr.actors.invoked",
    ]);
    expect(replayed.out).toMatch(/^Replayed 1 dead letters/);
    const stats = await run(spoolCommand(), ["stats", "--spool-dir", dir, "--json"]);
    expect(JSON.parse(stats.out)).toMatchObject({ pending: 2, dead: 1 });
  });

  it("dead-letters purge refuses without --yes and deletes with it", async () => {
    const refused = await run(deadLettersCommand(), ["purge", "--spool-dir", dir]);
    expect(refused.exitCode).toBe(2);
    expect(refused.err).toMatch(/deletes 2 dead letters .*Pass --yes/);

    const purged = await run(deadLettersCommand(), ["purge", "--spool-dir", dir, "--yes", "--json"]);
    expect(JSON.parse(purged.out)).toEqual({ purged: 2 });
    const stats = await run(spoolCommand(), ["stats", "--spool-dir", dir, "--json"]);
    expect(JSON.parse(stats.out)).toMatchObject({ pending: 1, dead: 0 });
  });

  it("parses and formats durations", () => {
    expect(parseDuration("--x", "1h30m")).toBe(5_400_000);
    expect(parseDuration("--x", "500ms")).toBe(500);
    expect(parseDuration("--x", "2d")).toBe(172_800_000);
    expect(() => parseDuration("--x", "10")).toThrow(/--x expects a duration/);
    expect(() => parseDuration("--x", "")).toThrow(/--x/);
    expect(() => parseDuration("--x", "5m junk")).toThrow(/--x/);
    expect(formatAge(350)).toBe("350ms");
    expect(formatAge(303_000)).toBe("5m 3s");
    expect(formatAge(7_800_000)).toBe("2h 10m");
  });
});
