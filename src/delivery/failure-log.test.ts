import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { FailureLog, isOutage } from "./failure-log.js";
import { captureLogs } from "../../test/helpers/log-capture.js";

function capture(): ReturnType<typeof captureLogs> {
  return captureLogs("info");
}

const target = { pubsub: "pubsub", topic: "dapr-events" };
const down = new BridgeError(
  ErrorCode.Unavailable,
  "BulkPublishEvent to 127.0.0.1:50001: UNAVAILABLE: connect ECONNREFUSED",
);

describe("FailureLog", () => {
  it("says what fails and what to check at most every 10 s, with the count, and once when it recovers", async () => {
    const { logger, lines } = capture();
    const log = new FailureLog(logger);
    const failed = new Map([
      ["1", down],
      ["2", down],
    ]);
    log.failed(target, failed, 0);
    log.failed(target, failed, 5_000);
    log.failed(target, failed, 10_001);
    log.succeeded(target);
    log.succeeded(target);
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => l["msg"])).toEqual([
      expect.stringContaining("Check the bridge's Dapr sidecar"),
      expect.stringContaining("Check the bridge's Dapr sidecar"),
      "publishing recovered",
    ]);
    expect(lines[0]).toMatchObject({
      code: "unavailable",
      failures: 2,
      error: expect.stringContaining("ECONNREFUSED") as unknown,
    });
    expect(lines[1]).toMatchObject({ failures: 4 });
  });

  it("counts a call as an outage only when all of it failed retryably", () => {
    const rejected = new BridgeError(ErrorCode.Rejected, "no");
    expect(
      isOutage(
        new Map([
          ["1", down],
          ["2", down],
        ]),
        2,
      ),
    ).toBe(true);
    expect(isOutage(new Map([["1", down]]), 2)).toBe(false);
    expect(
      isOutage(
        new Map([
          ["1", down],
          ["2", rejected],
        ]),
        2,
      ),
    ).toBe(false);
  });
});
