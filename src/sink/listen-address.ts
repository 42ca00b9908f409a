import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** A parsed HOST:PORT. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT` (IPv6 as `[::1]:PORT`), also accepting an `http://` or `https://`
 * prefix. `option` names the setting in the error message.
 */
export function parseHostPort(value: string, option: string): HostPort {
  const bare = value.replace(/^https?:\/\//, "").replace(/\/$/, "");
  const match = /^(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(bare);
  const port = match === null ? NaN : Number(match[2]);
  if (match === null || port > 65535) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `${option}: expected HOST:PORT (for example 127.0.0.1:50051), got ${JSON.stringify(value)}`,
    );
  }
  const host = (match[1] as string).replace(/^\[(.*)\]$/, "$1");
  return { host, port };
}

/** Whether `host` only reaches this machine: `localhost`, 127.0.0.0/8, `::1` (also IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase().replace(/^::ffff:/, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}

/**
 * Refuses a plaintext sink (no mTLS) on a non-loopback address unless `allowPlaintextPublic`:
 * anyone who reaches the port could then write events under any app id. Returns whether the
 * sink is plaintext on a non-loopback address (allowed: the caller logs a warning).
 * @throws BridgeError InvalidConfig naming the settings that allow it.
 */
export function checkPlaintextExposure(listen: string, mtls: boolean, allowPlaintextPublic: boolean): boolean {
  if (mtls) return false;
  const { host } = parseHostPort(listen, "listen");
  if (isLoopbackHost(host)) return false;
  if (allowPlaintextPublic) return true;
  throw new BridgeError(
    ErrorCode.InvalidConfig,
    `listen: ${listen} is not a loopback address and the sink has no mTLS: any client that reaches it can send events ` +
      "under any app id. Turn on mTLS (--tls-cert, --tls-key, --tls-client-ca) or accept plaintext with " +
      "--allow-plaintext-public true (allowPlaintextPublic, env BRIDGE_ALLOW_PLAINTEXT_PUBLIC).",
  );
}
