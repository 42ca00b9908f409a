// Sample subscriber for docker-compose.yml: a plain Node HTTP app (no dependencies) that Dapr
// delivers the bridge's CloudEvents to, through the declarative subscriptions in components/.
//
//   POST /events       events of topic `dapr-events`
//   POST /alerts       failed workflows (JSON format only: Dapr routes on event.type)
//   POST /deadletters  events of topic `dapr-events-deadletter`
//
// It logs one line per event: route, CloudEvent type, id, source, subject. Two shapes arrive:
// - protobuf format (raw subscription): Dapr wraps the broker's bytes in a JSON envelope whose
//   `data_base64` holds the protobuf CloudEvent; decoded below with a minimal wire reader.
// - json format: the structured JSON CloudEvent itself.
// It answers {"status":"SUCCESS"} to everything it could read and {"status":"DROP"} to bodies it
// cannot (Dapr then dead-letters them), so a bad message is never retried forever.
import { createServer } from "node:http";

const port = Number(process.env.APP_PORT ?? "3000");
const ROUTES = new Set(["/events", "/alerts", "/deadletters"]);

/** Reads a protobuf varint at `pos`; returns [value, next position]. */
function readVarint(bytes, pos) {
  let value = 0;
  let shift = 0;
  for (;;) {
    if (pos >= bytes.length) throw new Error("truncated varint");
    const b = bytes[pos++];
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, pos];
    shift += 7;
  }
}

/** Yields [field number, wire type, value] of each field of one protobuf message. */
function* fields(bytes) {
  let pos = 0;
  while (pos < bytes.length) {
    const [tag, afterTag] = readVarint(bytes, pos);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    pos = afterTag;
    if (wire === 0) {
      const [v, next] = readVarint(bytes, pos);
      yield [field, wire, v];
      pos = next;
    } else if (wire === 2) {
      const [len, start] = readVarint(bytes, pos);
      yield [field, wire, bytes.subarray(start, start + len)];
      pos = start + len;
    } else if (wire === 1 || wire === 5) {
      pos += wire === 1 ? 8 : 4;
    } else {
      throw new Error(`unsupported wire type ${wire}`);
    }
    if (pos > bytes.length) throw new Error("truncated field");
  }
}

const text = (b) => Buffer.from(b).toString("utf8");

/**
 * The attributes of an `io.cloudevents.v1.CloudEvent` (docs/contract.md §3): id 1, source 2,
 * spec_version 3, type 4, and the string-like extensions of the attributes map 5.
 */
function decodeProtobufCloudEvent(bytes) {
  const event = {};
  for (const [field, wire, value] of fields(bytes)) {
    if (wire !== 2) continue;
    if (field === 1) event.id = text(value);
    else if (field === 2) event.source = text(value);
    else if (field === 3) event.specversion = text(value);
    else if (field === 4) event.type = text(value);
    else if (field === 5) {
      let key;
      let attr;
      for (const [f, w, v] of fields(value)) {
        if (w !== 2) continue;
        if (f === 1) key = text(v);
        else if (f === 2) attr = v;
      }
      if (key === undefined || attr === undefined) continue;
      // CloudEventAttributeValue: ce_string 3, ce_uri 5, ce_uri_ref 6 are text.
      for (const [f, w, v] of fields(attr)) {
        if (w === 2 && (f === 3 || f === 5 || f === 6)) event[key] = text(v);
        else if (w === 0 && f === 2) event[key] = v;
      }
    }
  }
  if (event.id === undefined || event.type === undefined) throw new Error("no id or type: not a protobuf CloudEvent");
  return event;
}

/** The bridge's CloudEvent from what Dapr posted, in either format. */
function cloudEventOf(body) {
  const envelope = JSON.parse(body);
  if (typeof envelope.data_base64 === "string") {
    return { format: "protobuf", ...decodeProtobufCloudEvent(Buffer.from(envelope.data_base64, "base64")) };
  }
  // Raw subscription, but the payload was JSON text (a bridge route with format json).
  if (envelope.data !== null && typeof envelope.data === "object" && typeof envelope.data.specversion === "string") {
    return { format: "json", ...envelope.data };
  }
  return { format: "json", ...envelope };
}

const server = createServer((req, res) => {
  const reply = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  // Programmatic subscriptions: none, they are declarative (components/subscription-*.yaml).
  if (req.method === "GET" && req.url === "/dapr/subscribe") return reply(200, []);
  if (req.method !== "POST" || !ROUTES.has(req.url)) return reply(404, { error: `no route ${req.method} ${req.url}` });
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    try {
      const ce = cloudEventOf(body);
      const line = {
        route: req.url,
        format: ce.format,
        type: ce.type,
        id: ce.id,
        source: ce.source,
        subject: ce.subject,
      };
      if (req.url === "/deadletters") line.reason = ce.deadletterreason;
      console.log(JSON.stringify(line));
      reply(200, { status: "SUCCESS" });
    } catch (error) {
      console.error(JSON.stringify({ route: req.url, error: String(error), body: body.slice(0, 200) }));
      reply(200, { status: "DROP" });
    }
  });
});

server.listen(port, "0.0.0.0", () => console.log(JSON.stringify({ listening: port })));
for (const signal of ["SIGTERM", "SIGINT"]) process.once(signal, () => server.close(() => process.exit(0)));
