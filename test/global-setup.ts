import { realDaprSupport } from "../src/devtools/local-dapr.js";

/**
 * Vitest global setup: says once per run when the real-Dapr suites cannot run here, and why.
 * Under CI=true those suites fail instead of skipping (test/helpers/daprd.ts).
 */
export function setup(): void {
  const { missing } = realDaprSupport();
  if (missing === undefined) return;
  const consequence = process.env["CI"] === "true" ? "they FAIL under CI=true" : "they are skipped";
  process.stderr.write(`\nreal-Dapr tests cannot run here (${consequence}): ${missing}\n\n`);
}
