import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { isLoopbackHost } from "../config/host-port.js";
import { checkPlaintextExposure } from "./listen-address.js";

describe("isLoopbackHost", () => {
  it.each([
    ["127.0.0.1", true],
    ["127.1.2.3", true],
    ["localhost", true],
    ["::1", true],
    ["::ffff:127.0.0.1", true],
    ["0.0.0.0", false],
    ["::", false],
    ["10.0.0.5", false],
    ["bridge.example", false],
  ])("%s → %s", (host, loopback) => {
    expect(isLoopbackHost(host)).toBe(loopback);
  });
});

describe("checkPlaintextExposure", () => {
  it("refuses a plaintext sink on a non-loopback address, naming the setting", () => {
    let caught: unknown;
    try {
      checkPlaintextExposure("0.0.0.0:50051", false, false);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(BridgeError);
    expect((caught as BridgeError).code).toBe(ErrorCode.InvalidConfig);
    expect((caught as BridgeError).message).toMatch(/--allow-plaintext-public true.*BRIDGE_ALLOW_PLAINTEXT_PUBLIC/);
  });

  it("allows it with the flag (the caller warns), with mTLS, or on loopback", () => {
    expect(checkPlaintextExposure("0.0.0.0:50051", false, true)).toBe(true);
    expect(checkPlaintextExposure("0.0.0.0:50051", true, false)).toBe(false);
    expect(checkPlaintextExposure("127.0.0.1:0", false, false)).toBe(false);
    expect(checkPlaintextExposure("[::1]:50051", false, false)).toBe(false);
  });
});
