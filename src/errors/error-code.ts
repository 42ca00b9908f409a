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
  /**
   * The broker behind the Dapr sidecar failed a publish (daprd answers INTERNAL with reason
   * `DAPR_PUBSUB_PUBLISH_MESSAGE`, also while its circuit breaker is open): a broker outage, worth
   * retrying without end. Kept apart from `unavailable` (the sidecar itself cannot be reached) so
   * that operators can tell the two outages apart.
   */
  BrokerUnavailable: "broker_unavailable",
  /** A call ran past its deadline; worth retrying. */
  DeadlineExceeded: "deadline_exceeded",
  /** The peer is out of a resource (quota, queue); worth retrying. */
  ResourceExhausted: "resource_exhausted",
  /** The peer refused the request as invalid; retrying the same request will fail again. */
  Rejected: "rejected",
  /** The caller is not allowed (authentication, authorization). */
  PermissionDenied: "permission_denied",
  /**
   * The peer refused the caller's credentials (gRPC UNAUTHENTICATED): from the bridge's Dapr sidecar
   * a wrong or missing API token. A configuration fault of the bridge, not of an event: retried
   * without end, like an outage, until the token is fixed.
   */
  Unauthenticated: "unauthenticated",
  /**
   * The peer does not implement the method: gRPC UNIMPLEMENTED, or the UNKNOWN "failed to proxy
   * request" with which daprd's service-invocation proxy answers a runtime method it lacks.
   */
  Unimplemented: "unimplemented",
  /** The operation was cancelled by its signal (shutdown, deadline of the caller). */
  Aborted: "aborted",
  /** The spool cannot be opened or written. */
  Spool: "spool",
  /** Anything else: a bug or an unexpected condition. */
  Internal: "internal",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The codes worth retrying as they are: the one set every retry decision derives from. */
export const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.Unavailable,
  ErrorCode.BrokerUnavailable,
  ErrorCode.DeadlineExceeded,
  ErrorCode.ResourceExhausted,
  ErrorCode.Unauthenticated,
]);

const ERROR_CODES: ReadonlySet<string> = new Set<string>(Object.values(ErrorCode));

/** An error that already carries the bridge's classification: a `BridgeError`, from any copy of the package. */
export interface ClassifiedError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
}

/** Whether `value` is a {@link ClassifiedError} (checked by shape, so `classify` needs no `BridgeError` import). */
export function isClassifiedError(value: unknown): value is ClassifiedError {
  if (!(value instanceof Error)) return false;
  const { code, retryable } = value as { code?: unknown; retryable?: unknown };
  return typeof code === "string" && ERROR_CODES.has(code) && typeof retryable === "boolean";
}
