import http2 from "node:http2";

/** The part of Node's `Http2Stream` that {@link resetAfterStatus} uses. */
interface ClosableStream {
  readonly closed: boolean;
  close(code: number): void;
}

function isClosableStream(value: unknown): value is ClosableStream {
  return (
    typeof value === "object" &&
    value !== null &&
    "close" in value &&
    typeof value.close === "function" &&
    "closed" in value &&
    typeof value.closed === "boolean" &&
    "rstCode" in value
  );
}

/** The HTTP/2 stream under a grpc-js server call: call → interceptor chain (`call`, `nextCall`) → `stream`. */
function http2StreamOf(call: object): ClosableStream | undefined {
  let node: unknown = call;
  for (let depth = 0; depth < 8 && typeof node === "object" && node !== null; depth++) {
    if ("stream" in node && isClosableStream(node.stream)) return node.stream;
    node = "nextCall" in node ? node.nextCall : "call" in node ? node.call : undefined;
  }
  return undefined;
}

/**
 * Ends the HTTP/2 stream of a call whose status was sent while its client had not half-closed:
 * RST_STREAM(NO_ERROR) after the trailers, as RFC 9113 §8.1 lets a server do. grpc-js sends the
 * status but leaves the stream half-open, and a client that never half-closes (a hostile one)
 * would keep the stream, its grpc-js call and its slot of MAX_CONCURRENT_STREAMS for the life of
 * the connection: 30,000 refused streams held ~250 MB. grpc-js does not expose the stream, so it
 * is found through its (private) call chain; when that shape changes this does nothing, and the
 * idle and keepalive limits still bound the connection.
 */
export function resetAfterStatus(call: object): void {
  const stream = http2StreamOf(call);
  if (stream !== undefined && !stream.closed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
}
