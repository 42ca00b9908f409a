import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { configCommand, EXIT_INVALID_CONFIG } from "./config.js";

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

async function run(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; stderr: string; code: number | undefined }> {
  let stdout = "";
  let stderr = "";
  let code: number | undefined;
  const cmd = configCommand({
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env,
    setExitCode: (c) => (code = c),
  });
  cmd.exitOverride();
  await cmd.parseAsync(args, { from: "user" });
  return { stdout, stderr, code };
}

describe("config check", () => {
  it("prints ok for a valid file", async () => {
    const file = files.write("ok.yaml", "topic: t\n");
    expect(await run(["check", file])).toEqual({ stdout: `ok: ${file}\n`, stderr: "", code: 0 });
  });

  it("prints every problem and exits 2", async () => {
    const file = files.write("bad.yaml", "topic: 5\nretry: { maxAttempts: -1 }\nnope: 1\n");
    const result = await run(["check", file]);
    expect(result.code).toBe(EXIT_INVALID_CONFIG);
    expect(result.stdout).toBe("");
    expect(result.stderr.trim().split("\n")).toEqual([
      `file ${file} key topic (line 1): expected a string, got 5`,
      `file ${file} key retry.maxAttempts (line 2): expected a number >= 1, got -1`,
      `file ${file} key nope (line 3): expected a known key (see docs/configuration.md), got unknown key "nope"`,
    ]);
  });
});

describe("config print", () => {
  it("prints the effective config as YAML with secrets masked", async () => {
    const file = files.write("print.yaml", "topic: from-file\n");
    const result = await run(["print", "--config", file, "--drain-timeout", "3s"], {
      BRIDGE_PUBSUB: "kafka",
      DAPR_API_TOKEN: "file-token",
    });
    expect(result.code).toBe(0);
    const printed = parse(result.stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({
      topic: "from-file",
      pubsub: "kafka",
      deadLetterPubsub: "kafka",
      drainTimeoutMs: 3000,
      daprApiToken: "***",
    });
    expect(result.stdout).not.toContain("file-token");
  });

  it("exits 2 listing every problem", async () => {
    const result = await run(["print", "--max-attempts", "0", "--format", "xml"]);
    expect(result.code).toBe(EXIT_INVALID_CONFIG);
    expect(result.stderr.trim().split("\n")).toEqual([
      "invalid configuration (2 problems):",
      'flag --format: expected one of "protobuf", "json", got "xml"',
      "flag --max-attempts: expected a number >= 1, got 0",
    ]);
  });
});
