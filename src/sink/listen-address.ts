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
