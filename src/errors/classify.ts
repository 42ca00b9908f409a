import { status as GrpcStatus } from "@grpc/grpc-js";
import { ErrorCode, isClassifiedError, RETRYABLE_CODES } from "./error-code.js";

/** What {@link classifyError} decides about a thrown value. */
export interface Classification {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** A one-line description of the failure, for messages and logs. */
  readonly detail: string;
}

/** What kind of call failed, when the same gRPC status means different things by call. */
export interface ClassifyOptions {
  /**
   * `publish`: a publish call to the Dapr runtime API (`PublishEvent`, `BulkPublishEvent*`).
   * daprd answers INTERNAL there when the broker behind it fails (reason
   * `DAPR_PUBSUB_PUBLISH_MESSAGE`, also for an open circuit breaker), so INTERNAL becomes a
   * retryable `broker_unavailable`. Any other call keeps INTERNAL as a non-retryable `internal`.
   * @default undefined: any other call
   */
  readonly call?: "publish";
}

/**
 * The start of the message of daprd's unknown-service handler (its service-invocation proxy),
 * which answers a runtime method the sidecar lacks with UNKNOWN instead of UNIMPLEMENTED
 * ("failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found").
 */
const PROXY_FAILURE = "failed to proxy request";

const RETRYABLE_ERRNO = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

const GRPC_CODES: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [GrpcStatus.UNAVAILABLE, ErrorCode.Unavailable],
  [GrpcStatus.DEADLINE_EXCEEDED, ErrorCode.DeadlineExceeded],
  [GrpcStatus.RESOURCE_EXHAUSTED, ErrorCode.ResourceExhausted],
  [GrpcStatus.ABORTED, ErrorCode.Unavailable],
  [GrpcStatus.INVALID_ARGUMENT, ErrorCode.Rejected],
  [GrpcStatus.FAILED_PRECONDITION, ErrorCode.Rejected],
  [GrpcStatus.NOT_FOUND, ErrorCode.Rejected],
  [GrpcStatus.OUT_OF_RANGE, ErrorCode.Rejected],
  [GrpcStatus.ALREADY_EXISTS, ErrorCode.Rejected],
  [GrpcStatus.PERMISSION_DENIED, ErrorCode.PermissionDenied],
  [GrpcStatus.UNAUTHENTICATED, ErrorCode.Unauthenticated],
  [GrpcStatus.UNIMPLEMENTED, ErrorCode.Unimplemented],
  [GrpcStatus.CANCELLED, ErrorCode.Aborted],
  [GrpcStatus.INTERNAL, ErrorCode.Internal],
  [GrpcStatus.UNKNOWN, ErrorCode.Internal],
  [GrpcStatus.DATA_LOSS, ErrorCode.Internal],
]);

function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function describe(value: unknown): string {
  if (value instanceof Error) return value.message;
  const details = field(value, "details");
  if (typeof details === "string" && details !== "") return details;
  const message = field(value, "message");
  if (typeof message === "string") return message;
  return String(value);
}

/** The status message of a gRPC error: grpc-js keeps it in `details` (its `message` has a prefix). */
function grpcMessage(error: unknown): string {
  const details = field(error, "details");
  return typeof details === "string" ? details : describe(error);
}

/** The code of a gRPC status, given the call it answered and its message. */
function grpcErrorCode(grpcCode: GrpcStatus, message: string, options: ClassifyOptions): ErrorCode | undefined {
  if (grpcCode === GrpcStatus.INTERNAL && options.call === "publish") return ErrorCode.BrokerUnavailable;
  if (grpcCode === GrpcStatus.UNKNOWN && message.startsWith(PROXY_FAILURE)) return ErrorCode.Unimplemented;
  return GRPC_CODES.get(grpcCode);
}

/**
 * Decides the code and retryability of any thrown value: the only place that knows gRPC
 * status codes and errno names. Walks the `cause` chain (at most 8 links) and takes the
 * first link it recognises. gRPC errors may be plain objects (as `@dapr/dapr` throws them).
 *
 * UNAUTHENTICATED is `unauthenticated`, retryable: the sidecar refused the bridge's API token, a
 * fault of the bridge's configuration that no event can cause, so events wait for its fix.
 *
 * Two Dapr facts live here: INTERNAL from a publish call is a broker outage (see
 * {@link ClassifyOptions.call}), and UNKNOWN "failed to proxy request ..." means the sidecar
 * lacks the method (daprd 1.14 to 1.16 answer so for `BulkPublishEvent`): `unimplemented`.
 */
export function classifyError(reason: unknown, options: ClassifyOptions = {}): Classification {
  const detail = describe(reason);
  let link: unknown = reason;
  for (let depth = 0; depth < 8 && link !== undefined && link !== null; depth++) {
    if (isClassifiedError(link)) return { code: link.code, retryable: link.retryable, detail };
    if (link instanceof Error && link.name === "AbortError") {
      return { code: ErrorCode.Aborted, retryable: false, detail };
    }
    const grpcCode = field(link, "code");
    const code = typeof grpcCode === "number" ? grpcErrorCode(grpcCode, grpcMessage(link), options) : undefined;
    if (typeof grpcCode === "number" && code !== undefined) {
      return { code, retryable: RETRYABLE_CODES.has(code), detail: `${GrpcStatus[grpcCode] ?? grpcCode}: ${detail}` };
    }
    if (typeof grpcCode === "string" && RETRYABLE_ERRNO.has(grpcCode)) {
      return { code: ErrorCode.Unavailable, retryable: true, detail };
    }
    const errno = field(link, "errno");
    if (typeof grpcCode === "string" && typeof errno === "number") {
      return { code: ErrorCode.Internal, retryable: false, detail };
    }
    link = field(link, "cause");
  }
  return { code: ErrorCode.Internal, retryable: false, detail };
}

/**
 * Codes of a spool failure that the operator fixes in the deployment, not on the disk: the
 * directory cannot be opened or written (permissions, read-only volume, a missing or wrong path)
 * or another process holds the file.
 */
const SPOOL_SETUP_CODES = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOENT",
  "ENOTDIR",
  "SQLITE_CANTOPEN",
  "SQLITE_READONLY",
  "SQLITE_PERM",
  "SQLITE_NOTADB",
  "SQLITE_BUSY",
  "SQLITE_LOCKED",
]);

/**
 * Whether a failure is a setup mistake (exit 2, like a configuration error) rather than a fault
 * of a running system (exit 1): `invalid_config`; and a `spool` error that the spool raised
 * itself (a foreign or newer spool file, a spool in use by another process, no spool where one
 * was named: no cause) or whose cause is a code of {@link SPOOL_SETUP_CODES}. A spool error from
 * a damaged file, a full disk or an I/O error is no setup mistake.
 */
export function isSetupMistake(reason: unknown): boolean {
  const { code: errorCode } = classifyError(reason);
  if (errorCode === ErrorCode.InvalidConfig) return true;
  if (errorCode !== ErrorCode.Spool) return false;
  let link: unknown = isClassifiedError(reason) ? reason.cause : reason;
  if (link === undefined) return true;
  for (let depth = 0; depth < 8 && link !== undefined && link !== null; depth++) {
    const code = field(link, "code");
    if (typeof code === "string")
      return SPOOL_SETUP_CODES.has(code) || [...SPOOL_SETUP_CODES].some((c) => code.startsWith(`${c}_`));
    link = field(link, "cause");
  }
  return false;
}

/** The gRPC status a sink answers with for a bridge error code. */
export function grpcStatusFor(code: ErrorCode): GrpcStatus {
  switch (code) {
    case ErrorCode.Unavailable:
    case ErrorCode.BrokerUnavailable:
    case ErrorCode.Spool:
      return GrpcStatus.UNAVAILABLE;
    case ErrorCode.DeadlineExceeded:
      return GrpcStatus.DEADLINE_EXCEEDED;
    case ErrorCode.ResourceExhausted:
      return GrpcStatus.RESOURCE_EXHAUSTED;
    case ErrorCode.Rejected:
    case ErrorCode.Undecodable:
    case ErrorCode.InvalidConfig:
      return GrpcStatus.INVALID_ARGUMENT;
    case ErrorCode.PermissionDenied:
      return GrpcStatus.PERMISSION_DENIED;
    case ErrorCode.Unauthenticated:
      return GrpcStatus.UNAUTHENTICATED;
    case ErrorCode.Unimplemented:
      return GrpcStatus.UNIMPLEMENTED;
    case ErrorCode.Aborted:
      return GrpcStatus.CANCELLED;
    case ErrorCode.Internal:
      return GrpcStatus.INTERNAL;
  }
}
