import net from "node:net";
import type * as grpc from "@grpc/grpc-js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Logger } from "../observability/logger.js";
import type { HostPort } from "../config/host-port.js";

/** Options of {@link ConnectionListener}. */
export interface ConnectionListenerOptions {
  readonly address: HostPort;
  /** TCP connections at once; the kernel-accepted ones beyond it are closed at once. */
  readonly maxConnections: number;
  /** Where accepted connections go (the gRPC server's connection injector). */
  readonly injector: grpc.ConnectionInjector;
  /** Called once per connection closed for exceeding `maxConnections`. */
  readonly onRefused: () => void;
  readonly logger: Logger;
  /** At most one warning about refused connections per this many ms. @default 10000 */
  readonly warnEveryMs?: number;
}

/**
 * The sink's TCP listener: it owns the socket count (grpc-js has no connection limit) and
 * hands each accepted connection to the gRPC server. A connection beyond the limit is closed
 * on accept, before any HTTP/2 state exists for it; it is counted and logged at most once per
 * `warnEveryMs` with the number refused since the last line.
 */
export class ConnectionListener {
  private readonly server: net.Server;
  private readonly options: ConnectionListenerOptions;
  private refusedSinceWarn = 0;
  private lastWarn = -Infinity;

  constructor(options: ConnectionListenerOptions) {
    this.options = options;
    this.server = net.createServer({ noDelay: true }, (socket) => options.injector.injectConnection(socket));
    this.server.maxConnections = options.maxConnections;
    this.server.on("drop", () => this.refused());
  }

  /** Listens; resolves with the bound port. */
  listen(): Promise<number> {
    const { host, port } = this.options.address;
    return new Promise<number>((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(
          new BridgeError(
            ErrorCode.InvalidConfig,
            `the sink could not listen on ${host}:${port}: ${error.message}. Choose a free address with --listen.`,
            { cause: error },
          ),
        );
      this.server.once("error", onError);
      // A backlog as deep as the connection limit (the kernel caps it at net.core.somaxconn): a
      // burst of connects beyond Node's default 511 would otherwise sit unaccepted in the kernel.
      this.server.listen({ host, port, backlog: this.options.maxConnections }, () => {
        this.server.off("error", onError);
        const bound = this.server.address();
        resolve(typeof bound === "object" && bound !== null ? bound.port : port);
      });
    });
  }

  /** Stops accepting; open connections are the gRPC server's to end. */
  close(): void {
    this.server.close();
  }

  private refused(): void {
    this.options.onRefused();
    this.refusedSinceWarn++;
    const now = performance.now();
    if (now - this.lastWarn < (this.options.warnEveryMs ?? 10_000)) return;
    this.lastWarn = now;
    this.options.logger.warn(
      { refused: this.refusedSinceWarn, limit: this.options.maxConnections },
      `sink connections refused: ${this.options.maxConnections} are open, the limit (sinkMaxConnections, --sink-max-connections)`,
    );
    this.refusedSinceWarn = 0;
  }
}
