import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** A parsed HOST:PORT. */
export interface HostPort {
  /** The host, without the brackets of an IPv6 address. */
  readonly host: string;
  readonly port: number;
}

const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$/;

/**
 * The one parser of `HOST:PORT` (IPv6 as `[::1]:PORT`): a host name or address, a colon, a port
 * of at least `minPort` and at most 65535. Undefined when `value` is not one.
 */
export function tryParseHostPort(value: string, minPort = 0): HostPort | undefined {
  const match = HOST_PORT.exec(value);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port < minPort || port > 65535) return undefined;
  return { host: (match[1] as string).replace(/^\[(.*)\]$/, "$1"), port };
}

/**
 * {@link tryParseHostPort}, throwing a `BridgeError` (code `invalid_config`) that names `option`
 * when `value` is not a HOST:PORT.
 */
export function parseHostPort(value: string, option: string, minPort = 0): HostPort {
  const parsed = tryParseHostPort(value, minPort);
  if (parsed === undefined) {
    throw new BridgeError(
      ErrorCode.InvalidConfig,
      `${option}: expected HOST:PORT with a port ${minPort}..65535 (for example 127.0.0.1:50051; IPv6 hosts in brackets), got ${JSON.stringify(value)}`,
    );
  }
  return parsed;
}

/** Whether `host` only reaches this machine: `localhost`, 127.0.0.0/8, `::1` (also IPv4-mapped). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.toLowerCase().replace(/^::ffff:/, "");
  return bare === "localhost" || bare === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare);
}
