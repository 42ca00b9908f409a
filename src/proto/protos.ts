import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";

/** Fully qualified names of the messages the bridge reads and writes. */
export const TypeName = {
  EventRequest: "dapr.proto.events.v1alpha1.EventRequest",
  EventResponse: "dapr.proto.events.v1alpha1.EventResponse",
  Event: "dapr.proto.events.v1alpha1.Event",
  WorkflowsEvent: "dapr.proto.events.v1alpha1.WorkflowsEvent",
  ActorsEvent: "dapr.proto.events.v1alpha1.ActorsEvent",
  CloudEvent: "io.cloudevents.v1.CloudEvent",
  CloudEventBatch: "io.cloudevents.v1.CloudEventBatch",
} as const;

/** The sink service and its two RPC names (docs/contract.md §2). */
export const SINK_SERVICE = "dapr.proto.events.v1alpha1.SinkEventsAlpha";
export const SINK_METHODS = ["SendEventsAlpha1", "OnEventAlpha1"] as const;
export type SinkMethod = (typeof SINK_METHODS)[number];

function findPackageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "proto"))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error("the bridge's proto/ folder was not found above " + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

/** The folder holding the bridge's own `.proto` files. */
export const PROTO_DIR = path.join(findPackageRoot(), "proto");

/** The folder holding the Dapr runtime API `.proto` files shipped by `@dapr/dapr`. */
export const DAPR_PROTO_DIR = path.join(
  path.dirname(createRequire(import.meta.url).resolve("@dapr/dapr/package.json")),
  "proto",
);

function loadRoot(dir: string, files: readonly string[]): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => {
    const local = path.join(dir, target);
    // Well-known types come from protobufjs itself when the folder lacks them.
    return existsSync(local) ? local : target;
  };
  root.loadSync([...files], { keepCase: true });
  root.resolveAll();
  return root;
}

let eventsRoot: protobuf.Root | undefined;
let daprRoot: protobuf.Root | undefined;

/**
 * The bridge's own protos (event stream, durabletask messages, CloudEvents format),
 * loaded once and cached. Field names keep their `.proto` spelling.
 */
export function bridgeProtos(): protobuf.Root {
  eventsRoot ??= loadRoot(PROTO_DIR, [
    "dapr/proto/events/v1alpha1/events.proto",
    "io/cloudevents/v1/cloudevents.proto",
  ]);
  return eventsRoot;
}

/** Dapr's runtime API (`dapr.proto.runtime.v1.Dapr`) from `@dapr/dapr`, loaded once and cached. */
export function daprRuntimeProtos(): protobuf.Root {
  daprRoot ??= loadRoot(DAPR_PROTO_DIR, ["dapr/proto/runtime/v1/dapr.proto"]);
  return daprRoot;
}

/** Looks up a message type of the bridge's protos by its full name. */
export function bridgeType(name: string): protobuf.Type {
  return bridgeProtos().lookupType(name);
}

/**
 * The number of a field of one of the bridge's message types, as proto/ declares it: the
 * hand-written readers and writers take their field numbers from here, never from literals.
 *
 * @param typeName The message type's full name.
 * @param fieldName The field's `.proto` name.
 * @throws Error when the type has no such field (proto/ changed under the code).
 */
export function fieldNumber(typeName: string, fieldName: string): number {
  const field = bridgeType(typeName).fields[fieldName];
  if (field === undefined)
    throw new Error(`${typeName} has no field ${fieldName} in proto/; the wire code needs updating`);
  return field.id;
}

/** Wire type 2: length-delimited (messages, strings, bytes, maps, packed). */
const LENGTH_DELIMITED = 2;

/**
 * The tag (`number << 3 | wire type`) a writer puts before a field of one of the bridge's
 * message types: the wire type of its scalar type, or length-delimited for messages, maps and
 * repeated fields; enums are varints.
 *
 * @throws Error when the type has no such field.
 */
export function fieldTag(typeName: string, fieldName: string): number {
  return typeFieldTag(bridgeType(typeName), fieldName);
}

/**
 * {@link fieldTag} for a field of any loaded message type (Dapr's runtime API included).
 *
 * @throws Error when the type has no such field.
 */
export function typeFieldTag(type: protobuf.Type, fieldName: string): number {
  const field = type.fields[fieldName];
  if (field === undefined)
    throw new Error(`${type.fullName} has no field ${fieldName} in its .proto; the wire code needs updating`);
  field.resolve();
  const basic = (protobuf.types.basic as Readonly<Record<string, number | undefined>>)[field.type];
  const scalar = field.resolvedType instanceof protobuf.Enum ? 0 : basic;
  const wireType = field.map || field.repeated || scalar === undefined ? LENGTH_DELIMITED : scalar;
  return ((field.id << 3) | wireType) >>> 0;
}
