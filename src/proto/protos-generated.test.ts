import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

describe("src/proto/generated/protos.ts", () => {
  it("is what pbjs and pbts make of proto/ today (regenerated and compared)", () => {
    const result = spawnSync(process.execPath, [path.join(root, "scripts", "gen-proto-types.mjs"), "--check"], {
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  }, 30_000); // pbts runs jsdoc in a child process
});
