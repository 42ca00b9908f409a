import { X509Certificate } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestPki, issueCertificate, type TestPki } from "../../test/helpers/certs.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { checkAllowed, formatSpiffeId, identityFromCertificate, parseSpiffeId, subjectAltNames } from "./spiffe.js";

function refusal(action: () => unknown): BridgeError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe(ErrorCode.PermissionDenied);
    return error as BridgeError;
  }
  throw new Error("expected a refusal");
}

describe("parseSpiffeId", () => {
  it("reads trust domain, namespace and app id", () => {
    expect(parseSpiffeId("spiffe://cluster.local/ns/default/order-app")).toEqual({
      trustDomain: "cluster.local",
      namespace: "default",
      appId: "order-app",
    });
    expect(parseSpiffeId("spiffe://public/ns/my_ns/App.v2")).toEqual({
      trustDomain: "public",
      namespace: "my_ns",
      appId: "App.v2",
    });
  });

  it.each([
    ["http://cluster.local/ns/default/app", "scheme"],
    ["SPIFFE://cluster.local/ns/default/app", "scheme"],
    ["spiffe:///ns/default/app", "trust domain is empty"],
    ["spiffe://Cluster.Local/ns/default/app", "lower-case"],
    ["spiffe://cluster.local:8443/ns/default/app", "lower-case"],
    ["spiffe://user@cluster.local/ns/default/app", "lower-case"],
    ["spiffe://cluster.local", "path is missing"],
    ["spiffe://cluster.local/", "empty segment"],
    ["spiffe://cluster.local/ns/default/app/", "empty segment"],
    ["spiffe://cluster.local/ns//app", "empty segment"],
    ["spiffe://cluster.local/ns/../app", '"..'],
    ["spiffe://cluster.local/ns/default/app?x=1", "segment"],
    ["spiffe://cluster.local/ns/default/app#f", "segment"],
    ["spiffe://cluster.local/ns/def%20ault/app", "segment"],
    ["spiffe://cluster.local/ns/default", "/ns/<namespace>/<app-id>"],
    ["spiffe://cluster.local/namespace/default/app", "/ns/<namespace>/<app-id>"],
    ["spiffe://cluster.local/ns/default/app/extra", "/ns/<namespace>/<app-id>"],
  ])("refuses %s, naming the value and the reason", (uri, reason) => {
    const error = refusal(() => parseSpiffeId(uri));
    expect(error.message).toContain(`"${uri}"`);
    expect(error.message).toContain(reason);
  });

  it("refuses an ID longer than 2048 characters", () => {
    const error = refusal(() => parseSpiffeId(`spiffe://cluster.local/ns/default/${"a".repeat(2100)}`));
    expect(error.message).toContain("longer than 2048");
  });

  it("round-trips through formatSpiffeId", () => {
    const uri = "spiffe://cluster.local/ns/default/order-app";
    expect(formatSpiffeId(parseSpiffeId(uri))).toBe(uri);
  });
});

describe("subjectAltNames", () => {
  it("splits Node's text, including quoted values with commas", () => {
    expect(subjectAltNames('DNS:localhost, URI:spiffe://a/ns/b/c, URI:"http://x/a,b", IP Address:127.0.0.1')).toEqual([
      { type: "DNS", value: "localhost" },
      { type: "URI", value: "spiffe://a/ns/b/c" },
      { type: "URI", value: "http://x/a,b" },
      { type: "IP Address", value: "127.0.0.1" },
    ]);
    expect(subjectAltNames("")).toEqual([]);
  });
});

describe("identityFromCertificate", () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });
  afterAll(async () => {
    await pki.close();
  });

  it("reads the SPIFFE ID of an X509Certificate and of a peer certificate", () => {
    const cert = new X509Certificate(pki.orderApp.cert);
    const expected = { trustDomain: "cluster.local", namespace: "default", appId: "order-app" };
    expect(identityFromCertificate(cert)).toEqual(expected);
    expect(identityFromCertificate(cert.toLegacyObject())).toEqual(expected);
  });

  it("refuses a certificate without a SPIFFE ID, naming what it found", () => {
    const error = refusal(() => identityFromCertificate(new X509Certificate(pki.server.cert)));
    expect(error.message).toContain("no SPIFFE ID");
    expect(error.message).toContain("no URI SAN");
  });

  it("refuses a certificate with two SPIFFE IDs", async () => {
    const cert = await issueCertificate(pki.ca, "two-ids", {
      san: "URI:spiffe://cluster.local/ns/default/a,URI:spiffe://cluster.local/ns/default/b",
      usage: "clientAuth",
    });
    const error = refusal(() => identityFromCertificate(new X509Certificate(cert.cert)));
    expect(error.message).toContain("exactly one");
  });

  it("refuses a SPIFFE ID beside another URI SAN: an X.509-SVID has exactly one URI SAN", async () => {
    const cert = await issueCertificate(pki.ca, "extra-uri", {
      san: "URI:spiffe://cluster.local/ns/default/order-app,URI:https://example.com/",
      usage: "clientAuth",
    });
    const error = refusal(() => identityFromCertificate(new X509Certificate(cert.cert)));
    expect(error.message).toContain("2 URI SANs");
    expect(error.message).toContain("exactly one URI SAN");
  });

  it("refuses a malformed SPIFFE ID and names it", async () => {
    const cert = await issueCertificate(pki.ca, "bad-id", {
      san: "URI:spiffe://cluster.local/workload/x",
      usage: "clientAuth",
    });
    const error = refusal(() => identityFromCertificate(new X509Certificate(cert.cert)));
    expect(error.message).toContain('"spiffe://cluster.local/workload/x"');
  });
});

describe("checkAllowed", () => {
  const id = { trustDomain: "cluster.local", namespace: "default", appId: "order-app" };
  const none = { trustDomains: [], namespaces: [], appIds: [] };

  it("allows anything when every list is empty", () => {
    expect(() => checkAllowed(id, none)).not.toThrow();
  });

  it("allows an ID listed in every non-empty list", () => {
    expect(() =>
      checkAllowed(id, { trustDomains: ["cluster.local"], namespaces: ["prod", "default"], appIds: ["order-app"] }),
    ).not.toThrow();
  });

  it("matches trust domains without regard to case (SPIFFE trust domains are lower-case)", () => {
    expect(() => checkAllowed(id, { ...none, trustDomains: ["Cluster.LOCAL"] })).not.toThrow();
  });

  it.each([
    [{ ...none, trustDomains: ["example.org"] }, 'trust domain "cluster.local"', "--tls-allow-trust-domains"],
    [{ ...none, namespaces: ["prod"] }, 'namespace "default"', "--tls-allow-namespaces"],
    [{ ...none, appIds: ["billing-app", "cart"] }, 'app id "order-app"', "--tls-allow-app-ids"],
  ])("refuses what a list leaves out, naming it and the list to change", (allow, refused, flag) => {
    const error = refusal(() => checkAllowed(id, allow));
    expect(error.message).toContain("spiffe://cluster.local/ns/default/order-app is refused");
    expect(error.message).toContain(refused);
    expect(error.message).toContain(flag);
  });
});
