import type * as grpc from "@grpc/grpc-js";
import type { SourceIdentity } from "../cloudevents/record.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { grpcStatusFor } from "../errors/classify.js";
import type { Logger } from "../observability/logger.js";
import type { CommitGroup, GroupCommit } from "../spool/group-commit.js";
import { resolveIdentity } from "./identity.js";
import type { SinkLimitName } from "./sink-limits.js";
import { ThrottledWarning } from "./throttled-warning.js";
import type { FrameOutcome, OutboundFactory } from "./to-outbound.js";

/** Hooks the stream handler calls; metrics implement them. */
export interface SinkObserver {
  streamOpened(identity: SourceIdentity): void;
  streamClosed(identity: SourceIdentity, error?: BridgeError): void;
  frame(outcome: FrameOutcome, bytes: number): void;
  /** The sink waited for room for `ms` milliseconds before reading on. */
  backpressure(ms: number): void;
  /** The sink starts waiting for room; `backpressure` follows when the wait ends (or fails). */
  backpressureStarted?(): void;
  /** A frame without any byte (no event) arrived; it is counted, not kept. */
  emptyFrame?(): void;
  /** A limit refused a stream or a connection. */
  refused?(limit: SinkLimitName): void;
}

/** Options of {@link createStreamHandler}. */
export interface StreamHandlerOptions {
  readonly factory: OutboundFactory;
  readonly commit: GroupCommit;
  /** Whether the spool has room; when false the handler stops reading until `waitForRoom` resolves. */
  readonly hasRoom: () => boolean;
  readonly waitForRoom: (signal: AbortSignal) => Promise<void>;
  /** Identity used when the stream's metadata names none. */
  readonly fallbackIdentity: SourceIdentity;
  /** The certificate's identity of a call (mTLS), or undefined. Throws a BridgeError to refuse the call. */
  readonly certificateIdentity?: (call: grpc.ServerReadableStream<Buffer, Buffer>) => SourceIdentity | undefined;
  /**
   * Empty frames one stream may send (an `EventRequest` always carries an event, so an empty
   * frame is junk); the next ends the stream with INVALID_ARGUMENT. @default 100
   */
  readonly maxEmptyFrames?: number;
  /** At most one warning about undecodable frames per stream per this many ms. @default 10000 */
  readonly warnEveryMs?: number;
  /** Aborts every stream (shutdown). */
  readonly shutdown: AbortSignal;
  readonly logger: Logger;
  readonly observer?: SinkObserver;
}

/**
 * The per-stream loop of the sink: take each frame as it arrives, turn it into a spool event,
 * add it to the group commit, and pause the stream while the spool has no room (backpressure
 * reaches daprd through HTTP/2 flow control). The `EventResponse` goes out only after the client
 * half-closed and the group of the last event is committed.
 */
export function createStreamHandler(options: StreamHandlerOptions) {
  return (call: grpc.ServerReadableStream<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>): void => {
    void handle(options, call).then(
      () => callback(null, Buffer.alloc(0)),
      (error: unknown) => {
        const reason = BridgeError.from(error, "event stream");
        callback({ code: grpcStatusFor(reason.code), details: reason.message });
      },
    );
  };
}

async function handle(options: StreamHandlerOptions, call: grpc.ServerReadableStream<Buffer, Buffer>): Promise<void> {
  const { factory, commit, logger, observer } = options;
  if (options.shutdown.aborted) {
    throw new BridgeError(ErrorCode.Unavailable, "the bridge is shutting down; reconnect to another replica or retry");
  }
  const identity = resolveIdentity(call.metadata, options.fallbackIdentity, options.certificateIdentity?.(call));
  const stream = new AbortController();
  /** Ends the stream with `reason`: the first reason wins; reading stops at once. */
  const failStream = (reason: BridgeError): void => {
    if (stream.signal.aborted) return;
    stream.abort(reason);
    call.destroy();
  };
  const onCancel = (): void => failStream(new BridgeError(ErrorCode.Aborted, "the client cancelled the stream"));
  const onShutdown = (): void =>
    failStream(new BridgeError(ErrorCode.Unavailable, "the bridge is shutting down; events read so far are committed"));
  call.once("cancelled", onCancel);
  options.shutdown.addEventListener("abort", onShutdown, { once: true });
  observer?.streamOpened(identity);
  let last: CommitGroup | undefined;
  let frames = 0;
  let emptyFrames = 0;
  const maxEmptyFrames = options.maxEmptyFrames ?? 100;
  const undecodable = new ThrottledWarning({
    logger,
    message: "undecodable frames kept as io.dapr.bridge.undecodable and dead-lettered",
    ...(options.warnEveryMs === undefined ? {} : { everyMs: options.warnEveryMs }),
  });
  /** Handles one frame; returns whether the spool is full (reading pauses until it has room). */
  const onFrame = (frame: Buffer): boolean => {
    frames++;
    if (frame.byteLength === 0) {
      // Nothing to keep: no dead letter, a count, and a bound on how many one stream may send.
      observer?.emptyFrame?.();
      if (++emptyFrames > maxEmptyFrames) {
        observer?.refused?.("empty_frames");
        throw new BridgeError(
          ErrorCode.Undecodable,
          `the stream sent more than ${maxEmptyFrames} empty frames (an EventRequest carries an event); ` +
            "the limit is sinkMaxEmptyFrames (--sink-max-empty-frames)",
        );
      }
      return !options.hasRoom();
    }
    const outcome = factory.fromFrame(frame, identity);
    observer?.frame(outcome, frame.byteLength);
    if (outcome.kind === "undecodable") {
      undecodable.occurred({
        bytes: frame.byteLength,
        appId: identity.appId,
        namespace: identity.namespace,
        error: outcome.error.message,
      });
    }
    if (outcome.kind !== "dropped") {
      const group = commit.add(outcome.event);
      if (group !== last) {
        last = group;
        // A group that cannot be committed ends the stream now (one handler per group, not per event).
        group.committed.catch((error: unknown) => failStream(BridgeError.from(error)));
      }
    }
    return !options.hasRoom();
  };
  /** Waits for room with the stream paused, then resumes it. */
  const waitForRoom = async (): Promise<void> => {
    const waitStart = performance.now();
    observer?.backpressureStarted?.();
    try {
      await options.waitForRoom(stream.signal);
    } finally {
      observer?.backpressure(performance.now() - waitStart);
    }
  };
  try {
    await readFrames(call, stream.signal, onFrame, waitForRoom);
    if (stream.signal.aborted) throw stream.signal.reason;
    if (last !== undefined) await last.committed;
    observer?.streamClosed(identity);
    logger.debug({ frames, appId: identity.appId }, "stream completed");
  } catch (error) {
    // What was read is in the group commit: it is accepted even though the stream failed.
    const reason = stream.signal.aborted
      ? BridgeError.from(stream.signal.reason)
      : BridgeError.from(error, "event stream");
    observer?.streamClosed(identity, reason);
    // The client got a short message; the log also carries the cause (a spool failure names its
    // file and what the operator should do), never shown to clients.
    const cause = reason.cause instanceof Error ? { cause: reason.cause.message } : {};
    logger.info(
      { frames, emptyFrames, appId: identity.appId, code: reason.code, error: reason.message, ...cause },
      "stream ended with an error",
    );
    throw reason;
  } finally {
    undecodable.flush();
    call.off("cancelled", onCancel);
    options.shutdown.removeEventListener("abort", onShutdown);
  }
}

/**
 * Reads the stream's frames with `data` events (no promise per frame), pausing it while
 * `onFrame` reports a full spool until `waitForRoom` resolves. Resolves at the stream's end;
 * rejects with what `onFrame` or `waitForRoom` threw, with the stream's error, with the
 * signal's reason once it aborts, or when the stream closes before its end.
 */
function readFrames(
  call: grpc.ServerReadableStream<Buffer, Buffer>,
  signal: AbortSignal,
  onFrame: (frame: Buffer) => boolean,
  waitForRoom: () => Promise<void>,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      call.off("data", onData);
      call.off("end", onEnd);
      call.off("error", finish);
      call.off("close", onClose);
      signal.removeEventListener("abort", onAbort);
      if (error === undefined) resolve();
      else reject(error instanceof Error ? error : BridgeError.from(error));
    };
    const onData = (frame: Buffer): void => {
      if (settled) return;
      let full: boolean;
      try {
        full = onFrame(frame);
      } catch (error) {
        finish(error);
        // Nothing more is read from this stream (as an async iterator left early destroys it).
        call.destroy();
        return;
      }
      if (!full) return;
      call.pause();
      waitForRoom().then(
        () => {
          if (!settled) call.resume();
        },
        (error: unknown) => finish(error),
      );
    };
    const onEnd = (): void => finish();
    const onClose = (): void =>
      finish(new BridgeError(ErrorCode.Aborted, "the stream closed before the client half-closed it"));
    const onAbort = (): void => finish(signal.reason);
    if (signal.aborted) {
      finish(signal.reason);
      return;
    }
    call.on("data", onData);
    call.once("end", onEnd);
    call.once("error", finish);
    call.once("close", onClose);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
