import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { freePort, startProcess, waitForProcess, type ManagedProcess } from "./local-processes.js";

const run = promisify(execFile);

/** A RESP value as Redis answers it; bulk strings stay bytes. */
export type RespValue = string | number | Buffer | null | RespValue[] | Error;

/** Parses one RESP value at `offset`; undefined when `buffer` does not hold all of it yet. */
function parseResp(buffer: Buffer, offset: number): { value: RespValue; end: number } | undefined {
  const lineEnd = buffer.indexOf("\r\n", offset);
  if (lineEnd < 0) return undefined;
  const kind = String.fromCharCode(buffer[offset] ?? 0);
  const line = buffer.toString("utf8", offset + 1, lineEnd);
  const next = lineEnd + 2;
  switch (kind) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new Error(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const length = Number(line);
      if (length < 0) return { value: null, end: next };
      if (buffer.length < next + length + 2) return undefined;
      return { value: buffer.subarray(next, next + length), end: next + length + 2 };
    }
    case "*": {
      const count = Number(line);
      if (count < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let at = next;
      for (let i = 0; i < count; i++) {
        const item = parseResp(buffer, at);
        if (item === undefined) return undefined;
        items.push(item.value);
        at = item.end;
      }
      return { value: items, end: at };
    }
    default:
      throw new Error(`unexpected RESP reply starting with ${JSON.stringify(kind)}`);
  }
}

/** Sends one command to the Redis at `port` on a fresh connection and returns its reply. */
export function redisCommand(port: number, args: readonly (string | Buffer)[]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    socket.once("error", reject);
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const parsed = parseResp(received, 0);
      if (parsed !== undefined) {
        socket.end();
        resolve(parsed.value);
      }
    });
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = typeof arg === "string" ? Buffer.from(arg) : arg;
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
    }
    socket.write(Buffer.concat(parts));
  });
}

/** A redis-server of its own, on a free loopback port. */
export interface TestRedis {
  readonly port: number;
  readonly address: string;
  process(): ManagedProcess;
  /** Stops it (SIGTERM); what it held is gone. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  restart(): Promise<void>;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
  /** The payloads (`data` field) of every entry of a stream, in order. */
  streamPayloads(stream: string): Promise<Buffer[]>;
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /**
   * Keep data across {@link TestRedis.stop} and {@link TestRedis.restart} (append-only file, fsync
   * on every write), as a production broker would; otherwise a restart starts empty.
   * @default false
   */
  readonly persistent?: boolean;
}

/** Starts a redis-server on a free loopback port and waits until it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  const persistence =
    options.persistent === true ? ["--appendonly", "yes", "--appendfsync", "always"] : ["--appendonly", "no"];
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "bridge-redis-"));
  let current: ManagedProcess;
  const launch = async (): Promise<void> => {
    current = startProcess({
      name: `redis-server :${port}`,
      command: "redis-server",
      args: ["--port", String(port), "--bind", "127.0.0.1", "--save", "", ...persistence, "--dir", dir],
    });
    await waitForProcess(current, "answering PING", async () => (await redisCommand(port, ["PING"])) === "PONG");
  };
  await launch();
  return {
    port,
    address: `127.0.0.1:${port}`,
    process: () => current,
    stop: async () => {
      await current.stop();
    },
    restart: launch,
    close: async () => {
      await current.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    streamPayloads: async (stream) => {
      const reply = await redisCommand(port, ["XRANGE", stream, "-", "+"]);
      if (!Array.isArray(reply)) throw new Error(`XRANGE ${stream}: unexpected reply ${String(reply)}`);
      const payloads: Buffer[] = [];
      for (const entry of reply) {
        const fields = Array.isArray(entry) ? entry[1] : undefined;
        if (!Array.isArray(fields)) continue;
        for (let i = 0; i + 1 < fields.length; i += 2) {
          const name = fields[i];
          const value = fields[i + 1];
          if (Buffer.isBuffer(name) && name.toString() === "data" && Buffer.isBuffer(value)) payloads.push(value);
        }
      }
      return payloads;
    },
  };
}

/** A nats-server with JetStream of the test's own, on a free port. */
export interface TestNats {
  readonly port: number;
  readonly url: string;
  /** Creates a stream holding `subjects` (the jetstream pubsub does not create streams itself). */
  createStream(name: string, subjects: readonly string[]): Promise<void>;
  /** Stops it and removes its store. */
  stop(): Promise<void>;
}

/** One request/reply over the NATS text protocol, on a fresh connection. */
function natsRequest(port: number, subject: string, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const inbox = `_INBOX.${randomBytes(8).toString("hex")}`;
    let text = "";
    socket.once("error", reject);
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (text.startsWith("INFO") && !text.includes("CONNECT_SENT")) {
        text += "CONNECT_SENT";
        const body = Buffer.byteLength(payload);
        socket.write(
          `CONNECT {"verbose":false,"pedantic":false}\r\nSUB ${inbox} 1\r\nPUB ${subject} ${inbox} ${body}\r\n${payload}\r\n`,
        );
      }
      const match = /MSG \S+ 1 (\d+)\r\n/.exec(text);
      if (match !== null) {
        const start = match.index + match[0].length;
        const length = Number(match[1]);
        if (Buffer.byteLength(text.slice(start)) >= length) {
          socket.end();
          resolve(text.slice(start, start + length));
        }
      }
      if (text.includes("-ERR")) {
        socket.end();
        reject(new Error(`nats: ${text}`));
      }
    });
  });
}

/** Starts nats-server with JetStream on a free loopback port, its store in a temporary folder. */
export async function startNats(): Promise<TestNats> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "bridge-nats-"));
  const server = startProcess({
    name: `nats-server :${port}`,
    command: "nats-server",
    args: ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", dir],
  });
  await waitForProcess(server, "accepting connections", async () => {
    const reply = await natsRequest(port, "$JS.API.INFO", "");
    return reply.includes("memory");
  });
  return {
    port,
    url: `nats://127.0.0.1:${port}`,
    createStream: async (name, subjects) => {
      const reply = await natsRequest(
        port,
        `$JS.API.STREAM.CREATE.${name}`,
        JSON.stringify({ name, subjects, storage: "memory" }),
      );
      if (reply.includes('"error"')) throw new Error(`creating JetStream stream ${name}: ${reply}`);
    },
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A virtual host of its own on the machine's RabbitMQ (127.0.0.1:5672, guest/guest), so the
 * test's exchanges and queues are its own; {@link TestRabbitVhost.remove} deletes all of them.
 */
export interface TestRabbitVhost {
  readonly name: string;
  /** The AMQP URL of the vhost. */
  readonly url: string;
  remove(): Promise<void>;
}

/** Creates a vhost `bridge-test-<random>` with all permissions for guest. */
export async function createRabbitVhost(): Promise<TestRabbitVhost> {
  const name = `bridge-test-${randomBytes(4).toString("hex")}`;
  await run("rabbitmqctl", ["add_vhost", name]);
  await run("rabbitmqctl", ["set_permissions", "-p", name, "guest", ".*", ".*", ".*"]);
  return {
    name,
    url: `amqp://guest:guest@127.0.0.1:5672/${name}`,
    remove: async () => {
      await run("rabbitmqctl", ["delete_vhost", name]);
    },
  };
}
