// The public API of dapr-event-bridge, by name. Subscribers import "dapr-event-bridge/consumer".
export { Bridge } from "./bridge.js";
export type { BridgeOptions, BridgeState, BridgeStatus } from "./bridge.js";

export type { BatchConfig, BridgeConfig, RetryConfig, RouteConfig, RouteFilter, TlsConfig } from "./config/bridge-config.js";
export { addConfigOptions, maskSecrets, resolveConfig, validateConfig } from "./config/load.js";
export type { ConfigResult, ResolveConfigOptions } from "./config/load.js";

export { BridgeError, ErrorCode } from "./errors/bridge-error.js";
export type { BridgeErrorOptions } from "./errors/bridge-error.js";
export { classifyError } from "./errors/classify.js";
export type { Classification, ClassifyOptions } from "./errors/classify.js";

export { convertFrame, undecodableRecord } from "./cloudevents/convert.js";
export { encodeJson } from "./cloudevents/encode-json.js";
export { encodeProtobuf } from "./cloudevents/encode-protobuf.js";
export { withDeadLetter } from "./cloudevents/dead-letter.js";
export type { DeadLetterInfo } from "./cloudevents/dead-letter.js";
export { contentTypeFor, isRawPayload, publishMetadata } from "./cloudevents/publish-format.js";
export type { CloudEventData, CloudEventRecord, EventFormat, SourceIdentity, Timestamp } from "./cloudevents/record.js";

export { Router } from "./routing/router.js";
export type { DropDecision, PublishDecision, RouteDecision } from "./routing/router.js";
export { compileFilter } from "./routing/filter.js";

export { MemorySpool } from "./spool/memory-spool.js";
export { SqliteSpool } from "./spool/sqlite-spool.js";
export type { SqliteSpoolOptions } from "./spool/sqlite-spool.js";
export type { OutboundEvent, Spool, SpooledEvent, SpoolStats } from "./spool/spool.js";

export { DeliveryQueue } from "./delivery/delivery-queue.js";
export type { DeliveryQueueOptions, DeliveryStatus } from "./delivery/delivery-queue.js";
export type { DeliveryObserver } from "./delivery/observer.js";

export { DaprPublisher } from "./publish/dapr-publisher.js";
export type { DaprPublisherOptions, PublishMethod } from "./publish/dapr-publisher.js";
export type { PublishItem, Publisher, PublishResult } from "./publish/publisher.js";
export { formatDaprEndpoint, parseDaprEndpoint } from "./publish/dapr-endpoint.js";
export type { DaprEndpoint } from "./publish/dapr-endpoint.js";

export { SinkServer } from "./sink/sink-server.js";
export type { SinkServerOptions } from "./sink/sink-server.js";
export type { SinkObserver } from "./sink/stream-handler.js";
export { createSinkTls } from "./sink/tls.js";
export type { SinkTls, SinkTlsOptions } from "./sink/tls.js";
export { checkAllowed, formatSpiffeId, identityFromCertificate, parseSpiffeId } from "./sink/spiffe.js";
export type { SpiffeAllowList, SpiffeId } from "./sink/spiffe.js";

export { BridgeMetrics } from "./observability/metrics.js";
export type { BridgeMetricsOptions } from "./observability/metrics.js";
export { startObservability } from "./observability/http-server.js";
export type { ObservabilityOptions, ObservabilityServer } from "./observability/http-server.js";
export { parsePrometheusText } from "./observability/prometheus-text.js";
export { createLogger } from "./observability/logger.js";
export type { Logger, LoggerOptions } from "./observability/logger.js";

export { DevSidecar } from "./devtools/dev-sidecar.js";
export type { DevSidecarOptions } from "./devtools/dev-sidecar.js";
export type { DevSidecarFaults } from "./devtools/dev-sidecar-faults.js";
export type { ReceivedEvent } from "./devtools/dev-sidecar-store.js";
export { emit } from "./devtools/emitter.js";
export type { EmitResult, EmitterOptions, StreamResult } from "./devtools/emitter.js";
export { generateEvents, makeEvent, takeEvents } from "./devtools/sequences.js";
export type { GeneratedEvent, SequenceOptions } from "./devtools/sequences.js";
export { compareDelivery } from "./devtools/delivery-check.js";
export type { DeliveryReport } from "./devtools/delivery-check.js";
