import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "./bridge-error.js";
import { classifyError, grpcStatusFor } from "./classify.js";
import { RETRYABLE_CODES } from "./error-code.js";

/** A gRPC error as grpc-js rejects with it: the status message in `details`, a prefixed `message`. */
function grpcError(code: GrpcStatus, details: string): Error {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details });
}

const BROKER_DOWN =
  "error when publishing to topic orders in pubsub pubsub: kafka: client has run out of available brokers";
const PROXY = "failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found";

describe("classifyError", () => {
  it("makes INTERNAL from a publish call a retryable broker outage, and leaves it internal elsewhere", () => {
    expect(classifyError(grpcError(GrpcStatus.INTERNAL, BROKER_DOWN), { call: "publish" })).toMatchObject({
      code: ErrorCode.BrokerUnavailable,
      retryable: true,
    });
    expect(classifyError(grpcError(GrpcStatus.INTERNAL, BROKER_DOWN))).toMatchObject({
      code: ErrorCode.Internal,
      retryable: false,
    });
    const wrapped = BridgeError.from({ cause: grpcError(GrpcStatus.INTERNAL, BROKER_DOWN) }, "publish", {
      call: "publish",
    });
    expect(wrapped.code).toBe(ErrorCode.BrokerUnavailable);
    expect(wrapped.retryable).toBe(true);
  });

  it("reads daprd's proxy answer to a missing method (UNKNOWN) as unimplemented, like UNIMPLEMENTED", () => {
    expect(classifyError(grpcError(GrpcStatus.UNKNOWN, PROXY), { call: "publish" })).toMatchObject({
      code: ErrorCode.Unimplemented,
      retryable: false,
    });
    expect(classifyError(grpcError(GrpcStatus.UNIMPLEMENTED, "unknown method"))).toMatchObject({
      code: ErrorCode.Unimplemented,
    });
    expect(classifyError(grpcError(GrpcStatus.UNKNOWN, "something else"))).toMatchObject({
      code: ErrorCode.Internal,
      retryable: false,
    });
  });

  it("makes UNAUTHENTICATED (a refused API token) a retryable unauthenticated, on any call", () => {
    for (const options of [{ call: "publish" as const }, {}]) {
      expect(classifyError(grpcError(GrpcStatus.UNAUTHENTICATED, "invalid api token"), options)).toMatchObject({
        code: ErrorCode.Unauthenticated,
        retryable: true,
      });
    }
  });

  it("keeps refusals non-retryable on publish calls", () => {
    for (const code of [
      GrpcStatus.PERMISSION_DENIED,
      GrpcStatus.NOT_FOUND,
      GrpcStatus.INVALID_ARGUMENT,
      GrpcStatus.FAILED_PRECONDITION,
    ]) {
      expect(classifyError(grpcError(code, "refused"), { call: "publish" }).retryable).toBe(false);
    }
    expect(classifyError(grpcError(GrpcStatus.UNAVAILABLE, "down"), { call: "publish" })).toMatchObject({
      code: ErrorCode.Unavailable,
      retryable: true,
    });
  });
});

/** What every gRPC status becomes on a call that is not a publish call. */
const BY_GRPC_STATUS: ReadonlyArray<readonly [GrpcStatus, ErrorCode, boolean]> = [
  [GrpcStatus.CANCELLED, ErrorCode.Aborted, false],
  [GrpcStatus.UNKNOWN, ErrorCode.Internal, false],
  [GrpcStatus.INVALID_ARGUMENT, ErrorCode.Rejected, false],
  [GrpcStatus.DEADLINE_EXCEEDED, ErrorCode.DeadlineExceeded, true],
  [GrpcStatus.NOT_FOUND, ErrorCode.Rejected, false],
  [GrpcStatus.ALREADY_EXISTS, ErrorCode.Rejected, false],
  [GrpcStatus.PERMISSION_DENIED, ErrorCode.PermissionDenied, false],
  [GrpcStatus.RESOURCE_EXHAUSTED, ErrorCode.ResourceExhausted, true],
  [GrpcStatus.FAILED_PRECONDITION, ErrorCode.Rejected, false],
  [GrpcStatus.ABORTED, ErrorCode.Unavailable, true],
  [GrpcStatus.OUT_OF_RANGE, ErrorCode.Rejected, false],
  [GrpcStatus.UNIMPLEMENTED, ErrorCode.Unimplemented, false],
  [GrpcStatus.INTERNAL, ErrorCode.Internal, false],
  [GrpcStatus.UNAVAILABLE, ErrorCode.Unavailable, true],
  [GrpcStatus.DATA_LOSS, ErrorCode.Internal, false],
];

describe("classifyError of gRPC statuses", () => {
  it.each(BY_GRPC_STATUS)("maps status %i to %s (retryable: %s)", (status, code, retryable) => {
    const result = classifyError(grpcError(status, "the status message"));
    expect(result.code).toBe(code);
    expect(result.retryable).toBe(retryable);
    // The detail names the status and carries the error's message.
    expect(result.detail).toMatch(new RegExp(`^${GrpcStatus[status]}: .*the status message`));
  });

  it("maps UNAUTHENTICATED to its own code, unauthenticated", () => {
    expect(classifyError(grpcError(GrpcStatus.UNAUTHENTICATED, "bad token")).code).toBe(ErrorCode.Unauthenticated);
  });

  it("covers every gRPC status but OK in the table above", () => {
    const covered = new Set<number>([...BY_GRPC_STATUS.map(([status]) => status), GrpcStatus.UNAUTHENTICATED]);
    const all = Object.values(GrpcStatus).filter((v): v is number => typeof v === "number" && v !== GrpcStatus.OK);
    expect(all.filter((status) => !covered.has(status))).toEqual([]);
  });

  it("treats a status outside the known set, OK included, as internal", () => {
    expect(classifyError(grpcError(GrpcStatus.OK, "ok?"))).toMatchObject({
      code: ErrorCode.Internal,
      retryable: false,
    });
    expect(classifyError({ code: 99, details: "from the future" })).toMatchObject({
      code: ErrorCode.Internal,
      retryable: false,
    });
  });

  it("changes only INTERNAL on a publish call; every other status means the same there", () => {
    for (const [status, code, retryable] of BY_GRPC_STATUS) {
      if (status === GrpcStatus.INTERNAL) continue;
      expect(classifyError(grpcError(status, "x"), { call: "publish" }), GrpcStatus[status]).toMatchObject({
        code,
        retryable,
      });
    }
    expect(classifyError(grpcError(GrpcStatus.INTERNAL, BROKER_DOWN), { call: "publish" }).detail).toContain(
      "INTERNAL: ",
    );
  });

  it("reads the proxy answer from `details` on any call, not from grpc-js's prefixed message", () => {
    expect(classifyError(grpcError(GrpcStatus.UNKNOWN, PROXY)).code).toBe(ErrorCode.Unimplemented);
    // Without `details` the message ("2 UNKNOWN: failed to proxy ...") does not start with the proxy's words.
    const prefixedOnly = Object.assign(new Error(`2 UNKNOWN: ${PROXY}`), { code: GrpcStatus.UNKNOWN });
    expect(classifyError(prefixedOnly).code).toBe(ErrorCode.Internal);
  });
});

describe("classifyError of plain objects (as @dapr/dapr throws them)", () => {
  it("reads code and details of a plain object", () => {
    const thrown = { code: GrpcStatus.UNAVAILABLE, details: "No connection established", metadata: {} };
    expect(classifyError(thrown)).toEqual({
      code: ErrorCode.Unavailable,
      retryable: true,
      detail: "UNAVAILABLE: No connection established",
    });
  });

  it("makes a plain INTERNAL from a publish call a broker outage", () => {
    expect(classifyError({ code: GrpcStatus.INTERNAL, details: BROKER_DOWN }, { call: "publish" })).toMatchObject({
      code: ErrorCode.BrokerUnavailable,
      retryable: true,
    });
  });

  it("describes a plain object by its message when it has no details", () => {
    expect(classifyError({ message: "something odd" })).toEqual({
      code: ErrorCode.Internal,
      retryable: false,
      detail: "something odd",
    });
  });

  it("describes other thrown values as strings, and never throws itself", () => {
    expect(classifyError("a string")).toEqual({ code: ErrorCode.Internal, retryable: false, detail: "a string" });
    expect(classifyError(undefined)).toEqual({ code: ErrorCode.Internal, retryable: false, detail: "undefined" });
    expect(classifyError(null)).toEqual({ code: ErrorCode.Internal, retryable: false, detail: "null" });
    expect(classifyError(42)).toMatchObject({ code: ErrorCode.Internal, retryable: false });
  });
});

/** An error as Node's net and dns modules raise it: a string `code` and a numeric `errno`. */
function errnoError(code: string, errno = -1): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:50001`), { code, errno, syscall: "connect" });
}

describe("classifyError of errno errors", () => {
  it.each([
    "ECONNREFUSED",
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
    "EHOSTUNREACH",
    "ENETUNREACH",
    "EAI_AGAIN",
    "ENOTFOUND",
  ])("makes %s a retryable unavailable", (code) => {
    expect(classifyError(errnoError(code))).toEqual({
      code: ErrorCode.Unavailable,
      retryable: true,
      detail: `connect ${code} 127.0.0.1:50001`,
    });
  });

  it("makes another errno error (ENOENT, EACCES) internal and not retryable", () => {
    expect(classifyError(errnoError("ENOENT", -2))).toMatchObject({ code: ErrorCode.Internal, retryable: false });
    expect(classifyError(errnoError("EACCES", -13))).toMatchObject({ code: ErrorCode.Internal, retryable: false });
  });

  it("reads a retryable errno name even without errno", () => {
    expect(classifyError({ code: "ECONNRESET" })).toMatchObject({ code: ErrorCode.Unavailable, retryable: true });
  });
});

describe("classifyError of cause chains", () => {
  /** `depth` plain Errors wrapped around `inner`. */
  function wrapped(inner: unknown, depth: number): unknown {
    let outer = inner;
    for (let i = 0; i < depth; i++) outer = new Error(`layer ${i}`, { cause: outer });
    return outer;
  }

  it("finds a gRPC status or errno under wrappers, and describes the outermost error", () => {
    const result = classifyError(wrapped(grpcError(GrpcStatus.DEADLINE_EXCEEDED, "late"), 3));
    expect(result).toMatchObject({ code: ErrorCode.DeadlineExceeded, retryable: true });
    expect(result.detail).toBe("DEADLINE_EXCEEDED: layer 2");
    expect(classifyError(wrapped(errnoError("ECONNREFUSED"), 2))).toMatchObject({
      code: ErrorCode.Unavailable,
      retryable: true,
    });
  });

  it("follows plain-object causes too", () => {
    expect(
      classifyError({ message: "outer", cause: { cause: { code: GrpcStatus.RESOURCE_EXHAUSTED, details: "quota" } } }),
    ).toMatchObject({
      code: ErrorCode.ResourceExhausted,
      retryable: true,
    });
  });

  it("takes the first link it recognises, outermost first", () => {
    const inner = grpcError(GrpcStatus.UNAVAILABLE, "down");
    const outer = Object.assign(new Error("refused", { cause: inner }), {
      code: GrpcStatus.INVALID_ARGUMENT,
      details: "refused",
    });
    expect(classifyError(outer).code).toBe(ErrorCode.Rejected);
  });

  it("looks at most 8 links deep", () => {
    const down = grpcError(GrpcStatus.UNAVAILABLE, "down");
    expect(classifyError(wrapped(down, 7)).code).toBe(ErrorCode.Unavailable);
    expect(classifyError(wrapped(down, 8))).toMatchObject({ code: ErrorCode.Internal, retryable: false });
  });

  it("stops at a cycle's 8th link instead of looping", () => {
    const a: { message: string; cause?: unknown } = { message: "a" };
    const b = { message: "b", cause: a };
    a.cause = b;
    expect(classifyError(a)).toMatchObject({ code: ErrorCode.Internal, retryable: false });
  });

  it("keeps a BridgeError's code and retryability, also inside a chain", () => {
    const spool = new BridgeError(ErrorCode.Spool, "disk full");
    expect(classifyError(spool)).toEqual({ code: ErrorCode.Spool, retryable: false, detail: "disk full" });
    const forced = new BridgeError(ErrorCode.Rejected, "retry me anyway", { retryable: true });
    expect(classifyError(wrapped(forced, 2))).toMatchObject({ code: ErrorCode.Rejected, retryable: true });
  });

  it("makes an AbortError (an aborted signal's reason) aborted and not retryable, also inside a chain", () => {
    const reason: unknown = AbortSignal.abort().reason;
    expect(classifyError(reason)).toMatchObject({ code: ErrorCode.Aborted, retryable: false });
    const named = Object.assign(new Error("The operation was aborted"), { name: "AbortError" });
    expect(classifyError(wrapped(named, 1))).toMatchObject({ code: ErrorCode.Aborted, retryable: false });
  });
});

describe("grpcStatusFor", () => {
  const expected: Record<ErrorCode, GrpcStatus> = {
    [ErrorCode.Unavailable]: GrpcStatus.UNAVAILABLE,
    [ErrorCode.BrokerUnavailable]: GrpcStatus.UNAVAILABLE,
    [ErrorCode.Spool]: GrpcStatus.UNAVAILABLE,
    [ErrorCode.DeadlineExceeded]: GrpcStatus.DEADLINE_EXCEEDED,
    [ErrorCode.ResourceExhausted]: GrpcStatus.RESOURCE_EXHAUSTED,
    [ErrorCode.Rejected]: GrpcStatus.INVALID_ARGUMENT,
    [ErrorCode.Undecodable]: GrpcStatus.INVALID_ARGUMENT,
    [ErrorCode.InvalidConfig]: GrpcStatus.INVALID_ARGUMENT,
    [ErrorCode.PermissionDenied]: GrpcStatus.PERMISSION_DENIED,
    [ErrorCode.Unauthenticated]: GrpcStatus.UNAUTHENTICATED,
    [ErrorCode.Unimplemented]: GrpcStatus.UNIMPLEMENTED,
    [ErrorCode.Aborted]: GrpcStatus.CANCELLED,
    [ErrorCode.Internal]: GrpcStatus.INTERNAL,
  };

  it("answers every bridge code with its gRPC status", () => {
    for (const code of Object.values(ErrorCode)) expect(grpcStatusFor(code), code).toBe(expected[code]);
  });

  it("answers a retryable code with a status the client classifies as retryable", () => {
    for (const code of RETRYABLE_CODES) {
      expect(classifyError(grpcError(grpcStatusFor(code), "x")).retryable, code).toBe(true);
    }
  });
});
