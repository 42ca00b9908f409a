import { describe, it } from "vitest";
import { realDaprSupport } from "../../src/devtools/local-dapr.js";

/**
 * A describe block that needs real daprd and brokers. Where they are missing it is skipped (the
 * vitest global setup says so once per run), except under CI=true, where it fails with what is missing.
 */
export function describeRealDapr(title: string, body: () => void): void {
  const { missing } = realDaprSupport();
  if (missing === undefined) {
    describe(title, body);
  } else if (process.env["CI"] === "true") {
    describe(title, () => {
      it("has real daprd and brokers (CI=true does not allow skipping)", () => {
        throw new Error(`the real-Dapr tests cannot run: ${missing}`);
      });
    });
  } else {
    describe.skip(title, body);
  }
}
