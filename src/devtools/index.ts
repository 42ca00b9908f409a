// dapr-event-bridge/devtools: stand-ins and helpers for tests, demos and benchmarks. Not part of
// the stable API (README, "The public API"): they follow what the tests need.
export { DevSidecar, DEV_SIDECAR_APP_ID, DEV_SIDECAR_DAPR_VERSION } from "./dev-sidecar.js";
export type { DevSidecarOptions } from "./dev-sidecar.js";
export type { DevSidecarFaults } from "./dev-sidecar-faults.js";
export type { ReceivedEvent } from "./dev-sidecar-store.js";
export { emit } from "./emitter.js";
export type { EmitResult, EmitterOptions, SentFrame, StreamResult } from "./emitter.js";
export { generateEvents, makeEvent, takeEvents } from "./sequences.js";
export type { GeneratedEvent, MakeEventOptions, SequenceOptions } from "./sequences.js";
export { compareDelivery } from "./delivery-check.js";
export type { DeliveryReport, ReceivedPayload } from "./delivery-check.js";
export { runDemo } from "./demo.js";
export type { DemoOptions, DemoResult } from "./demo.js";
export { createRabbitVhost, startNats, startRedis } from "./local-brokers.js";
export type { StartRedisOptions, TestNats, TestRabbitVhost, TestRedis } from "./local-brokers.js";
export { pubsubComponent, realDaprSupport, startDaprd, subscription, writeResources } from "./local-dapr.js";
export type { DaprLine, DaprResource, RealDaprSupport, StartDaprdOptions, TestDaprd } from "./local-dapr.js";
