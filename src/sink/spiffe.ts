import type { PeerCertificate } from "node:tls";
import { X509Certificate } from "node:crypto";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** A Dapr sidecar's SPIFFE ID, `spiffe://<trust-domain>/ns/<namespace>/<app-id>` (docs/contract.md §3). */
export interface SpiffeId {
  readonly trustDomain: string;
  readonly namespace: string;
  readonly appId: string;
}

/** Which SPIFFE IDs may connect. An empty list allows any value of its part. */
export interface SpiffeAllowList {
  /** Allowed trust domains (`--tls-allow-trust-domains`). */
  readonly trustDomains: readonly string[];
  /** Allowed namespaces (`--tls-allow-namespaces`). */
  readonly namespaces: readonly string[];
  /** Allowed app ids (`--tls-allow-app-ids`). */
  readonly appIds: readonly string[];
}

const SCHEME = "spiffe://";
/** SPIFFE ID spec: a URI of at most 2048 bytes, a trust domain of at most 255 characters. */
const MAX_ID_LENGTH = 2048;
const MAX_TRUST_DOMAIN_LENGTH = 255;
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;
const PATH_SEGMENT = /^[A-Za-z0-9._-]+$/;
const EXPECTED = "spiffe://<trust-domain>/ns/<namespace>/<app-id>";

/**
 * A trust domain as SPIFFE writes it: lower-case (trust domains compare without regard to case, and
 * an SVID carries them lower-case). Undefined when `value` cannot be a trust domain (a scheme, a
 * port, a path, a space, or longer than 255 characters).
 */
export function normalizeTrustDomain(value: string): string | undefined {
  const lower = value.toLowerCase();
  return lower.length <= MAX_TRUST_DOMAIN_LENGTH && TRUST_DOMAIN.test(lower) ? lower : undefined;
}

function refuse(uri: string, why: string): BridgeError {
  return new BridgeError(
    ErrorCode.PermissionDenied,
    `the client certificate's SPIFFE ID "${uri}" is not a Dapr sidecar ID (${EXPECTED}): ${why}`,
  );
}

/**
 * Parses a Dapr sidecar's SPIFFE ID strictly, following the SPIFFE ID rules (lower-case
 * scheme and trust domain, no port, user info, query, fragment, percent-encoding, empty,
 * `.` or `..` segments) and Dapr's path `/ns/<namespace>/<app-id>`.
 * Throws a BridgeError (code `permission_denied`) naming the value and what is wrong.
 */
export function parseSpiffeId(uri: string): SpiffeId {
  if (uri.length > MAX_ID_LENGTH) throw refuse(uri.slice(0, 64) + "…", `longer than ${MAX_ID_LENGTH} characters`);
  if (!uri.startsWith(SCHEME)) throw refuse(uri, 'the scheme must be "spiffe://"');
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf("/");
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  if (trustDomain === "") throw refuse(uri, "the trust domain is empty");
  if (trustDomain.length > MAX_TRUST_DOMAIN_LENGTH) {
    throw refuse(uri, `the trust domain is longer than ${MAX_TRUST_DOMAIN_LENGTH} characters`);
  }
  if (!TRUST_DOMAIN.test(trustDomain)) {
    throw refuse(uri, `the trust domain "${trustDomain}" may hold only lower-case letters, digits, ".", "-" and "_"`);
  }
  if (slash === -1) throw refuse(uri, "the path is missing");
  const segments = rest.slice(slash + 1).split("/");
  for (const segment of segments) {
    if (segment === "") throw refuse(uri, "the path has an empty segment");
    if (segment === "." || segment === "..") throw refuse(uri, `the path segment "${segment}" is not allowed`);
    if (!PATH_SEGMENT.test(segment)) {
      throw refuse(uri, `the path segment "${segment}" may hold only letters, digits, ".", "-" and "_"`);
    }
  }
  const [ns, namespace, appId] = segments;
  if (segments.length !== 3 || ns !== "ns" || namespace === undefined || appId === undefined) {
    throw refuse(uri, `the path must be /ns/<namespace>/<app-id>, got /${segments.join("/")}`);
  }
  return { trustDomain, namespace, appId };
}

/** The SPIFFE ID as a URI, for messages and logs. */
export function formatSpiffeId(id: SpiffeId): string {
  return `${SCHEME}${id.trustDomain}/ns/${id.namespace}/${id.appId}`;
}

/**
 * Splits Node's `subjectaltname` text (`DNS:a, URI:spiffe://..., IP Address:1.2.3.4`) into
 * entries. Node quotes a value as a JSON string when it holds a comma or quote, so commas
 * inside quotes do not split.
 */
export function subjectAltNames(text: string): Array<{ readonly type: string; readonly value: string }> {
  const entries: Array<{ type: string; value: string }> = [];
  let index = 0;
  while (index < text.length) {
    const colon = text.indexOf(":", index);
    if (colon === -1) break;
    const type = text.slice(index, colon).trim();
    let end: number;
    let value: string;
    if (text[colon + 1] === '"') {
      end = colon + 2;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      end++;
      value = JSON.parse(text.slice(colon + 1, end)) as string;
      const comma = text.indexOf(",", end);
      end = comma === -1 ? text.length : comma;
    } else {
      const comma = text.indexOf(",", colon);
      end = comma === -1 ? text.length : comma;
      value = text.slice(colon + 1, end);
    }
    entries.push({ type, value });
    index = end + 1;
  }
  return entries;
}

/**
 * The SPIFFE ID of a client certificate: its one URI SAN, a `spiffe://` one (an X.509-SVID has
 * exactly one URI SAN). Throws a BridgeError (code `permission_denied`) when it has no SPIFFE ID,
 * more than one URI SAN, or an ID that {@link parseSpiffeId} refuses.
 */
export function identityFromCertificate(cert: PeerCertificate | X509Certificate): SpiffeId {
  const text = cert instanceof X509Certificate ? cert.subjectAltName : cert.subjectaltname;
  const uris = subjectAltNames(text ?? "")
    .filter((entry) => entry.type === "URI")
    .map((entry) => entry.value);
  const spiffe = uris.filter((uri) => uri.toLowerCase().startsWith(SCHEME));
  if (spiffe.length === 0) {
    const found = uris.length === 0 ? "no URI SAN" : `URI SANs ${uris.join(", ")}`;
    throw new BridgeError(
      ErrorCode.PermissionDenied,
      `the client certificate has no SPIFFE ID (found ${found}); issue it with a URI SAN ${EXPECTED}, as Dapr Sentry does`,
    );
  }
  if (uris.length > 1) {
    throw new BridgeError(
      ErrorCode.PermissionDenied,
      `the client certificate has ${uris.length} URI SANs (${uris.join(", ")}); an X.509-SVID must have exactly one URI SAN, its SPIFFE ID`,
    );
  }
  return parseSpiffeId(spiffe[0] ?? "");
}

const PARTS = [
  {
    key: "trustDomains",
    part: "trustDomain",
    label: "trust domain",
    flag: "--tls-allow-trust-domains",
    setting: "allowTrustDomains",
  },
  {
    key: "namespaces",
    part: "namespace",
    label: "namespace",
    flag: "--tls-allow-namespaces",
    setting: "allowNamespaces",
  },
  { key: "appIds", part: "appId", label: "app id", flag: "--tls-allow-app-ids", setting: "allowAppIds" },
] as const;

/**
 * Checks a SPIFFE ID against the allow lists (an empty list allows any value). Throws a
 * BridgeError (code `permission_denied`) naming the refused value and the list to change.
 */
export function checkAllowed(id: SpiffeId, allow: SpiffeAllowList): void {
  for (const { key, part, label, flag, setting } of PARTS) {
    // Trust domains compare lower-case (the ID's is lower-case: parseSpiffeId checks it).
    const list = key === "trustDomains" ? allow[key].map((domain) => domain.toLowerCase()) : allow[key];
    if (list.length > 0 && !list.includes(id[part])) {
      throw new BridgeError(
        ErrorCode.PermissionDenied,
        `${formatSpiffeId(id)} is refused: its ${label} "${id[part]}" is not in the allowed ${label}s (${list.join(", ")}); ` +
          `add it to ${flag} (tls.${setting}) to let it connect`,
      );
    }
  }
}
