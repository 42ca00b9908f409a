import { classifyError, type ClassifyOptions } from "./classify.js";
import { RETRYABLE_CODES, type ErrorCode } from "./error-code.js";

export { ErrorCode } from "./error-code.js";

/** Options of a {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** The error this one wraps. */
  readonly cause?: unknown;
  /** Whether retrying the same operation can succeed. @default derived from the code */
  readonly retryable?: boolean;
}

/**
 * The one error type of the bridge. Thrown and rejected values are always Errors; values
 * from outside (gRPC, SQLite, the file system) are wrapped with {@link BridgeError.from}
 * at the boundary, and {@link classifyError} decides their code.
 */
export class BridgeError extends Error {
  override readonly name = "BridgeError";
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(code: ErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
  }

  /**
   * Wraps any thrown value. A BridgeError is returned as it is; anything else is
   * classified by walking its cause chain; `options` says what kind of call failed.
   */
  static from(reason: unknown, context?: string, options?: ClassifyOptions): BridgeError {
    if (reason instanceof BridgeError) return reason;
    const { code, retryable, detail } = classifyError(reason, options);
    const message = context === undefined ? detail : `${context}: ${detail}`;
    return new BridgeError(code, message, { cause: reason, retryable });
  }
}
