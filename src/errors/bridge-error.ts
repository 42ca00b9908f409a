import { classifyError } from "./classify.js";

/**
 * The closed set of error codes of the bridge. Each names a class of failure that
 * callers act on; the human detail lives in the message and the `cause`.
 */
export const ErrorCode = {
  /** A configuration value or command-line flag is wrong. */
  InvalidConfig: "invalid_config",
  /** Bytes from a peer could not be decoded as the expected message. */
  Undecodable: "undecodable",
  /** The peer (the Dapr sidecar, a pubsub) cannot be reached now; worth retrying. */
  Unavailable: "unavailable",
  /** A call ran past its deadline; worth retrying. */
  DeadlineExceeded: "deadline_exceeded",
  /** The peer is out of a resource (quota, queue); worth retrying. */
  ResourceExhausted: "resource_exhausted",
  /** The peer refused the request as invalid; retrying the same request will fail again. */
  Rejected: "rejected",
  /** The caller is not allowed (authentication, authorization). */
  PermissionDenied: "permission_denied",
  /** The peer does not implement the method. */
  Unimplemented: "unimplemented",
  /** The operation was cancelled by its signal (shutdown, deadline of the caller). */
  Aborted: "aborted",
  /** The spool cannot be opened or written. */
  Spool: "spool",
  /** Anything else: a bug or an unexpected condition. */
  Internal: "internal",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Options of a {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** The error this one wraps. */
  readonly cause?: unknown;
  /** Whether retrying the same operation can succeed. @default derived from the code */
  readonly retryable?: boolean;
}

const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Unavailable,
  ErrorCode.DeadlineExceeded,
  ErrorCode.ResourceExhausted,
]);

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
   * classified by walking its cause chain.
   */
  static from(reason: unknown, context?: string): BridgeError {
    if (reason instanceof BridgeError) return reason;
    const { code, retryable, detail } = classifyError(reason);
    const message = context === undefined ? detail : `${context}: ${detail}`;
    return new BridgeError(code, message, { cause: reason, retryable });
  }
}
