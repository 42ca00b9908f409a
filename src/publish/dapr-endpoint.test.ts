import { describe, expect, it } from "vitest";
import { formatDaprEndpoint, parseDaprEndpoint } from "./dapr-endpoint.js";

describe("parseDaprEndpoint", () => {
  it.each([
    ["127.0.0.1:50001", "127.0.0.1:50001", false],
    ["http://dapr:50001", "dapr:50001", false],
    ["http://dapr:50001/", "dapr:50001", false],
    ["https://dapr.example.com:443", "dapr.example.com:443", true],
    ["HTTPS://dapr:443/", "dapr:443", true],
    ["dapr:443?tls=true", "dapr:443", true],
    ["https://dapr:443?tls=true", "dapr:443", true],
    ["dapr:50001?tls=false", "dapr:50001", false],
    ["dns:dapr:50001", "dns:dapr:50001", false],
    ["[::1]:50001", "[::1]:50001", false],
  ])("reads %s as %s, tls %s", (value, address, tls) => {
    expect(parseDaprEndpoint(value)).toEqual({ address, tls });
  });

  it.each([
    ["https://dapr:443?tls=false", /a tls query that contradicts the scheme/],
    ["http://dapr:50001?tls=true", /a tls query that contradicts the scheme/],
    ["dapr:50001?tls=yes", /an unknown query parameter tls=yes/],
    ["dapr:50001?timeout=5", /an unknown query parameter timeout=5/],
    ["grpcs://dapr:443", /an unknown scheme/],
    ["", /an empty value/],
  ])("rejects %s", (value, message) => {
    expect(() => parseDaprEndpoint(value)).toThrow(message);
  });

  it("formats the canonical form: https:// keeps TLS, plaintext is bare", () => {
    expect(formatDaprEndpoint(parseDaprEndpoint("dapr:443?tls=true"))).toBe("https://dapr:443");
    expect(formatDaprEndpoint(parseDaprEndpoint("http://dapr:50001/"))).toBe("dapr:50001");
  });
});
