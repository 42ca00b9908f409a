import { BridgeError } from "../../src/errors/bridge-error.js";

/** The BridgeError `action` throws; fails when it throws nothing or something else. */
export function thrown(action: () => unknown): BridgeError {
  try {
    action();
  } catch (reason) {
    if (reason instanceof BridgeError) return reason;
    throw reason;
  }
  throw new Error("expected a BridgeError, nothing was thrown");
}
