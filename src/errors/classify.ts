import { status as GrpcStatus } from "@grpc/grpc-js";
import { BridgeError } from "./bridge-error.js";
import { ErrorCode } from "./error-code.js";

/** What {@link classifyError} decides about a thrown value. */
export interface Classification {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  /** A one-line description of the failure, for messages and logs. */
  readonly detail: string;
}

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
  [GrpcStatus.UNAUTHENTICATED, ErrorCode.PermissionDenied],
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

/**
 * Decides the code and retryability of any thrown value: the only place that knows gRPC
 * status codes and errno names. Walks the `cause` chain (at most 8 links) and takes the
 * first link it recognises. gRPC errors may be plain objects (as `@dapr/dapr` throws them).
 */
export function classifyError(reason: unknown): Classification {
  const detail = describe(reason);
  let link: unknown = reason;
  for (let depth = 0; depth < 8 && link !== undefined && link !== null; depth++) {
    if (link instanceof BridgeError) return { code: link.code, retryable: link.retryable, detail };
    if (link instanceof Error && link.name === "AbortError") {
      return { code: ErrorCode.Aborted, retryable: false, detail };
    }
    const grpcCode = field(link, "code");
    if (typeof grpcCode === "number" && GRPC_CODES.has(grpcCode)) {
      const code = GRPC_CODES.get(grpcCode) ?? ErrorCode.Internal;
      const retryable =
        code === ErrorCode.Unavailable || code === ErrorCode.DeadlineExceeded || code === ErrorCode.ResourceExhausted;
      return { code, retryable, detail: `${GrpcStatus[grpcCode] ?? grpcCode}: ${detail}` };
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

/** The gRPC status a sink answers with for a bridge error code. */
export function grpcStatusFor(code: ErrorCode): GrpcStatus {
  switch (code) {
    case ErrorCode.Unavailable:
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
    case ErrorCode.Unimplemented:
      return GrpcStatus.UNIMPLEMENTED;
    case ErrorCode.Aborted:
      return GrpcStatus.CANCELLED;
    case ErrorCode.Internal:
      return GrpcStatus.INTERNAL;
  }
}
