// The public API of dapr-event-bridge, by name: what embedders build on. Stable within a major
// version (README, "The public API"). Subscribers import "dapr-event-bridge/consumer"; the
// emitter, the dev sidecar and the local daprd helpers are in "dapr-event-bridge/devtools".
export { Bridge } from "./bridge.js";
export type { BridgeOptions, BridgeState, BridgeStatus } from "./bridge.js";

export type {
  BatchConfig,
  BridgeConfig,
  RetryConfig,
  RouteConfig,
  RouteFilter,
  TlsConfig,
} from "./config/bridge-config.js";
export { maskSecrets, resolveConfig, validateConfig } from "./config/load.js";
export type { ConfigResult, ResolveConfigOptions } from "./config/load.js";

export { BridgeError, ErrorCode } from "./errors/bridge-error.js";
export type { BridgeErrorOptions } from "./errors/bridge-error.js";

export type { PublishItem, Publisher, PublishResult } from "./publish/publisher.js";
export type { OutboundEvent, Spool, SpooledEvent, SpoolStats } from "./spool/spool.js";
export type { DeliveryObserver, EventView } from "./delivery/observer.js";
export type { SinkObserver } from "./sink/stream-handler.js";
export type { CloudEventRecord, EventFormat, SourceIdentity, Timestamp } from "./cloudevents/record.js";
export type { Logger } from "./observability/logger.js";
