import { status as GrpcStatus } from "@grpc/grpc-js";
import { describe, expect, it } from "vitest";
import { BridgeError, ErrorCode } from "./bridge-error.js";
import { classifyError } from "./classify.js";

/** A gRPC error as grpc-js rejects with it: the status message in `details`, a prefixed `message`. */
function grpcError(code: GrpcStatus, details: string): Error {
  return Object.assign(new Error(`${code} ${GrpcStatus[code]}: ${details}`), { code, details });
}

const BROKER_DOWN = "error when publishing to topic orders in pubsub pubsub: kafka: client has run out of available brokers";
const PROXY = "failed to proxy request: required metadata dapr-callee-app-id or dapr-app-id not found";

describe("classifyError", () => {
  it("makes INTERNAL from a publish call a retryable broker outage, and leaves it internal elsewhere", () => {
    expect(classifyError(grpcError(GrpcStatus.INTERNAL, BROKER_DOWN), { call: "publish" })).toMatchObject({
      code: ErrorCode.BrokerUnavailable,
      retryable: true,
    });
    expect(classifyError(grpcError(GrpcStatus.INTERNAL, BROKER_DOWN))).toMatchObject({ code: ErrorCode.Internal, retryable: false });
    const wrapped = BridgeError.from({ cause: grpcError(GrpcStatus.INTERNAL, BROKER_DOWN) }, "publish", { call: "publish" });
    expect(wrapped.code).toBe(ErrorCode.BrokerUnavailable);
    expect(wrapped.retryable).toBe(true);
  });

  it("reads daprd's proxy answer to a missing method (UNKNOWN) as unimplemented, like UNIMPLEMENTED", () => {
    expect(classifyError(grpcError(GrpcStatus.UNKNOWN, PROXY), { call: "publish" })).toMatchObject({ code: ErrorCode.Unimplemented, retryable: false });
    expect(classifyError(grpcError(GrpcStatus.UNIMPLEMENTED, "unknown method"))).toMatchObject({ code: ErrorCode.Unimplemented });
    expect(classifyError(grpcError(GrpcStatus.UNKNOWN, "something else"))).toMatchObject({ code: ErrorCode.Internal, retryable: false });
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
    for (const code of [GrpcStatus.PERMISSION_DENIED, GrpcStatus.NOT_FOUND, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.FAILED_PRECONDITION]) {
      expect(classifyError(grpcError(code, "refused"), { call: "publish" }).retryable).toBe(false);
    }
    expect(classifyError(grpcError(GrpcStatus.UNAVAILABLE, "down"), { call: "publish" })).toMatchObject({ code: ErrorCode.Unavailable, retryable: true });
  });
});
