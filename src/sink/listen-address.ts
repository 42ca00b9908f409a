import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { isLoopbackHost, parseHostPort } from "../config/host-port.js";

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
