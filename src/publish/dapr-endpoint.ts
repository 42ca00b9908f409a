import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** Where the bridge's Dapr sidecar listens, and whether the connection uses TLS. */
export interface DaprEndpoint {
  /** The gRPC target: `HOST:PORT`, or a gRPC name such as `dns:HOST:PORT`. */
  readonly address: string;
  /** Connect with TLS (verified against the system's CA certificates). */
  readonly tls: boolean;
}

const SCHEME = /^(https?):\/\/([^/?]+)\/?$/i;

function invalid(value: string, why: string): BridgeError {
  return new BridgeError(
    ErrorCode.InvalidConfig,
    `Dapr gRPC endpoint: expected HOST:PORT, http://HOST:PORT or https://HOST:PORT (TLS), optionally with ?tls=true|false; ${why}, got "${value}"`,
  );
}

/**
 * Parses a Dapr gRPC endpoint as Dapr's SDKs read `DAPR_GRPC_ENDPOINT`: an `https://` scheme or
 * a `?tls=true` query means TLS; `http://` or no scheme means plaintext. A trailing `/` is
 * allowed; a query other than `tls`, or one that contradicts the scheme (`https://...?tls=false`),
 * is rejected. The only parser of the endpoint's TLS intent: the settings keep it in their
 * canonical form ({@link formatDaprEndpoint}) and the runtime client connects by it.
 */
export function parseDaprEndpoint(value: string): DaprEndpoint {
  const trimmed = value.trim();
  if (trimmed === "" || /\s/.test(trimmed)) throw invalid(value, "an empty value or one with spaces");
  const queryAt = trimmed.indexOf("?");
  const target = queryAt < 0 ? trimmed : trimmed.slice(0, queryAt);
  let queryTls: boolean | undefined;
  if (queryAt >= 0) {
    for (const [key, flag] of new URLSearchParams(trimmed.slice(queryAt + 1))) {
      if (key !== "tls" || (flag !== "true" && flag !== "false"))
        throw invalid(value, `an unknown query parameter ${key}=${flag}`);
      queryTls = flag === "true";
    }
  }
  const match = SCHEME.exec(target);
  if (match === null) {
    if (target.includes("://")) throw invalid(value, "an unknown scheme");
    return { address: target.replace(/\/$/, ""), tls: queryTls ?? false };
  }
  const schemeTls = match[1]?.toLowerCase() === "https";
  if (queryTls !== undefined && queryTls !== schemeTls) throw invalid(value, "a tls query that contradicts the scheme");
  return { address: match[2] ?? "", tls: schemeTls };
}

/** The canonical text of an endpoint: `https://ADDRESS` with TLS, `ADDRESS` without. */
export function formatDaprEndpoint(endpoint: DaprEndpoint): string {
  return endpoint.tls ? `https://${endpoint.address}` : endpoint.address;
}
