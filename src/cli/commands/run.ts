import { Command } from "commander";
import { Bridge } from "../../bridge.js";
import { addConfigOptions, maskSecrets, resolveConfig } from "../../config/load.js";
import { startObservability } from "../../observability/http-server.js";
import { createLogger } from "../../observability/logger.js";
import { BridgeMetrics } from "../../observability/metrics.js";
import { exitWith } from "../exit.js";

/**
 * `dapr-event-bridge run` (the default command): starts the bridge with the effective
 * configuration and runs until SIGTERM or SIGINT. The first signal drains (at most
 * `drainTimeoutMs`) and exits 0; a second one exits at once. Nothing committed is lost
 * either way: it stays in the spool for the next start.
 */
export function runCommand(): Command {
  const command = new Command("run").description(
    "run the bridge: receive Dapr's event stream and publish CloudEvents through Dapr PubSub",
  );
  addConfigOptions(command);
  command.action(async (flags: Record<string, unknown>) => {
    const config = resolveConfig({ flags, env: process.env });
    const logger = createLogger({ level: config.logLevel });
    const metrics = new BridgeMetrics({ logger });
    const bridge = new Bridge(config, { logger, deliveryObserver: metrics, sinkObserver: metrics });
    metrics.bindStatus(() => bridge.status());
    logger.info({ config: maskSecrets(config) }, "starting");
    const address = await bridge.start();
    const observability = await startObservability(bridge, {
      metrics,
      checkSidecar: (signal) => bridge.checkSidecar(signal),
    });
    bridge.logger.info({ sink: address, metrics: observability?.address }, "bridge running");
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        bridge.logger.warn({ signal }, "second signal: exiting now; committed events stay in the spool");
        void Promise.all([bridge.close(), observability?.close()]).finally(() => process.exit(130));
        return;
      }
      bridge.logger.info({ signal, drainTimeoutMs: config.drainTimeoutMs }, "shutting down: draining");
      void (async () => {
        await bridge.drain();
        await bridge.close();
        await observability?.close();
        process.exit(0);
      })().catch((error: unknown) => exitWith(error));
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  return command;
}
