import { BridgeError } from "../errors/bridge-error.js";
import { isSetupMistake } from "../errors/classify.js";

/** Exit code of a usage or configuration mistake, a spool the deployment points at wrongly included. */
export const EXIT_SETUP_MISTAKE = 2;
/** Exit code of any other failure. */
export const EXIT_FAILURE = 1;

/**
 * The exit code for an error: 2 for a usage or configuration mistake (an invalid setting; a spool
 * directory that cannot be used as configured: not writable, a foreign or newer spool file, a
 * spool in use by another bridge), 1 for anything else (a damaged spool, a full disk, a bug).
 */
export function exitCodeFor(error: unknown): number {
  return isSetupMistake(error) ? EXIT_SETUP_MISTAKE : EXIT_FAILURE;
}

/**
 * Prints an error for a person and exits with {@link exitCodeFor}. The message already says
 * what was wrong and what to do.
 */
export function exitWith(error: unknown): never {
  const reason = BridgeError.from(error);
  process.stderr.write(`dapr-event-bridge: ${reason.message}\n`);
  process.exit(exitCodeFor(reason));
}
