import http2 from "node:http2";
import net from "node:net";
import { readdirSync, readlinkSync } from "node:fs";

// Hostile or broken sink clients for the process tests (issue 12): raw HTTP/2 and TCP, so
// they can do what no well-behaved gRPC client does (never send, half-send, flood).

const PATH = "/dapr.proto.events.v1alpha1.SinkEventsAlpha/SendEventsAlpha1";
const HEADERS = { ":method": "POST", ":path": PATH, "content-type": "application/grpc", te: "trailers" };

/** What the bridge answered on the raw streams opened so far. */
export interface StreamTally {
  /** Streams opened (HEADERS sent). */
  opened: number;
  /** Streams that ended with a gRPC status, by status code. */
  readonly statuses: Map<number, number>;
  /** Each distinct grpc-message seen. */
  readonly messages: Set<string>;
  /** Streams that ended without a status (reset, connection closed). */
  reset: number;
}

/** A set of raw HTTP/2 sessions to the sink, closed together. */
export interface RawClients {
  readonly tally: StreamTally;
  /** Streams that ended (with a status or a reset). */
  settled(): number;
  /** Sessions whose connection the bridge (or the test) closed. */
  closedSessions(): number;
  close(): void;
}

function grpcFrame(length: number): Buffer {
  const header = Buffer.alloc(5);
  header.writeUInt32BE(length, 1);
  return header;
}

/**
 * Opens `connections` HTTP/2 connections with `streamsPerConnection` streams each; each stream
 * then does `body` (nothing, by default: an idle stream that never half-closes).
 */
export function openRawStreams(
  address: string,
  connections: number,
  streamsPerConnection: number,
  body: (stream: http2.ClientHttp2Stream) => void = () => undefined,
): RawClients {
  const tally: StreamTally = { opened: 0, statuses: new Map(), messages: new Set(), reset: 0 };
  const sessions: http2.ClientHttp2Session[] = [];
  let closed = 0;
  for (let c = 0; c < connections; c++) {
    // Room for every stream's writes: the default 10 MB would make the client itself reset them.
    const session = http2.connect(`http://${address}`, { maxSessionMemory: 1024 });
    session.on("error", () => undefined);
    session.once("close", () => closed++);
    sessions.push(session);
    for (let s = 0; s < streamsPerConnection; s++) {
      const stream = session.request(HEADERS, { endStream: false });
      tally.opened++;
      let settled = false;
      const settle = (status: number | undefined, message: string | undefined): void => {
        if (settled) return;
        settled = true;
        if (status === undefined) tally.reset++;
        else tally.statuses.set(status, (tally.statuses.get(status) ?? 0) + 1);
        if (message !== undefined) tally.messages.add(decodeURIComponent(message));
      };
      const onHeaders = (headers: http2.IncomingHttpHeaders): void => {
        const status = headers["grpc-status"];
        if (typeof status === "string") settle(Number(status), headers["grpc-message"] as string | undefined);
      };
      stream.on("response", onHeaders);
      stream.on("trailers", onHeaders);
      stream.on("error", () => undefined);
      stream.once("close", () => settle(undefined, undefined));
      stream.resume();
      body(stream);
    }
  }
  return {
    tally,
    settled: () => [...tally.statuses.values()].reduce((a, b) => a + b, 0) + tally.reset,
    closedSessions: () => closed,
    close: () => {
      for (const session of sessions) session.destroy();
    },
  };
}

/**
 * A stream body: declares one message of `declared` bytes and sends all of it but the last
 * byte; `onWritten` runs once the bytes left the client, or the stream failed.
 */
export function halfSend(
  declared: number,
  payload: Buffer,
  onWritten: () => void,
): (stream: http2.ClientHttp2Stream) => void {
  return (stream) => {
    stream.write(grpcFrame(declared));
    stream.write(payload.subarray(0, declared - 1), () => onWritten());
  };
}

/** A stream body: `count` frames of `frame` bytes each (empty frames when `frame` is empty), then half-close. */
export function frameFlood(count: number, frame: Buffer): (stream: http2.ClientHttp2Stream) => void {
  const one = Buffer.concat([grpcFrame(frame.byteLength), frame]);
  return (stream) => {
    stream.end(Buffer.concat(Array.from({ length: count }, () => one)));
  };
}

/** `count` TCP connections to `address` that never send a byte; counts those the server closed. */
export function openSilentSockets(address: string, count: number): { closed(): number; close(): void } {
  const [host, port] = [
    address.slice(0, address.lastIndexOf(":")),
    Number(address.slice(address.lastIndexOf(":") + 1)),
  ];
  const sockets: net.Socket[] = [];
  let closed = 0;
  for (let i = 0; i < count; i++) {
    const socket = net.connect({ host, port });
    socket.on("error", () => undefined);
    socket.resume();
    socket.once("close", () => closed++);
    sockets.push(socket);
  }
  return { closed: () => closed, close: () => sockets.forEach((s) => s.destroy()) };
}

/** How many sockets process `pid` holds open (entries of /proc/<pid>/fd that are sockets). */
export function socketFds(pid: number): number {
  let n = 0;
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // Closed between the listing and the read.
    }
  }
  return n;
}
