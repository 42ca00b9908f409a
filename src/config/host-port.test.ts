import { describe, expect, it } from "vitest";
import { isLoopbackHost, parseHostPort, tryParseHostPort } from "./host-port.js";

describe("HOST:PORT, parsed in one place", () => {
  it("reads names, IPv4 and bracketed IPv6 hosts, and ports within bounds", () => {
    expect(tryParseHostPort("127.0.0.1:50051")).toEqual({ host: "127.0.0.1", port: 50051 });
    expect(tryParseHostPort("[::1]:0")).toEqual({ host: "::1", port: 0 });
    expect(tryParseHostPort("sidecar.dapr-system.svc:443", 1)).toEqual({ host: "sidecar.dapr-system.svc", port: 443 });
    expect(tryParseHostPort("host:0", 1)).toBeUndefined();
    expect(tryParseHostPort("host:65536")).toBeUndefined();
    for (const bad of ["host", ":80", "::1:80", "http://host:80", "host:80/", "ho st:80", ""]) {
      expect(tryParseHostPort(bad), bad).toBeUndefined();
    }
  });

  it("names the option, what was expected and what was given", () => {
    expect(() => parseHostPort("nowhere", "--listen")).toThrow(
      '--listen: expected HOST:PORT with a port 0..65535 (for example 127.0.0.1:50051; IPv6 hosts in brackets), got "nowhere"',
    );
  });

  it("tells loopback hosts from others", () => {
    for (const host of ["localhost", "127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ["0.0.0.0", "10.0.0.1", "::", "example.com"]) expect(isLoopbackHost(host), host).toBe(false);
  });
});
