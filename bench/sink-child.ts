/**
 * Child-process entry of a baseline sink (`node dist/bench/sink-child.js <ceiling|naive> [sidecar]`),
 * so that it does not share an event loop with the emitter, like the bridge. It talks over the
 * IPC channel: sends `{ address }` once listening, answers `"report"` with its
 * {@link BaselineReport}, `"reset"` with `{ reset: true }`, and exits on `"close"`.
 */
import { startBaselineSink, type BaselineMode } from "./sinks.js";

const mode = process.argv[2] as BaselineMode;
const endpoint = process.argv[3];
const sink = await startBaselineSink({ mode, ...(endpoint === undefined ? {} : { daprGrpcEndpoint: endpoint }) });
const send = (message: unknown): void => void process.send?.(message);
process.on("message", (message: unknown) => {
  if (message === "report") send({ report: sink.report() });
  else if (message === "reset") {
    sink.reset();
    send({ reset: true });
  } else if (message === "close") {
    void sink.close().finally(() => process.exit(0));
  }
});
process.on("disconnect", () => void sink.close().finally(() => process.exit(0)));
send({ address: sink.address });
