import { pino } from "pino";

/** The structured logger of the bridge (pino). */
export type Logger = pino.Logger;

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** @default "info" */
  readonly level?: pino.LevelWithSilent;
  /** Where JSON lines go. @default standard error */
  readonly destination?: pino.DestinationStream;
}

/**
 * Creates the JSON logger. Secrets never reach it: the API token is redacted wherever it
 * appears by name, and event payloads are not logged at info.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "dapr-event-bridge" },
      redact: { paths: ["daprApiToken", "*.daprApiToken", "apiToken", "*.apiToken", "token"], censor: "***" },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination ?? pino.destination(2),
  );
}

/** A logger that writes nothing (tests, embedded use). */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
