import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/**
 * Prints an error for a person and exits: 2 for a usage or configuration mistake, 1 for
 * anything else. The message already says what was wrong and what to do.
 */
export function exitWith(error: unknown): never {
  const reason = BridgeError.from(error);
  process.stderr.write(`dapr-event-bridge: ${reason.message}\n`);
  process.exit(reason.code === ErrorCode.InvalidConfig ? 2 : 1);
}
