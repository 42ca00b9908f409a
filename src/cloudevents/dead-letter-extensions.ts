import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import { encodeAttributeEntries } from "./encode-protobuf.js";
import type { EventFormat } from "./record.js";
import { DEAD_LETTER_ERROR_MAX_CHARS, DeadLetterExtension } from "./types.js";

/** Why an event is dead-lettered, as the dead-letter extensions carry it (docs/contract.md §5). */
export interface DeadLetterInfo {
  /** `deadletterreason`, e.g. `undecodable` or `max_attempts`. */
  readonly reason: string;
  /** `deadlettererror`: the last error's message; cut to 1024 characters. */
  readonly error: string;
  /** `deadletterattempts`: failed publish attempts. */
  readonly attempts: number;
}

/** Cuts an error message to the 1024 characters `deadlettererror` keeps, without splitting a surrogate pair. */
export function truncateDeadLetterError(message: string): string {
  if (message.length <= DEAD_LETTER_ERROR_MAX_CHARS) return message;
  let out = "";
  let count = 0;
  for (const ch of message) {
    if (count === DEAD_LETTER_ERROR_MAX_CHARS) break;
    out += ch;
    count += 1;
  }
  return out;
}

/**
 * Returns an encoded CloudEvent with the dead-letter extensions `deadletterreason`,
 * `deadlettererror` (at most 1024 characters) and `deadletterattempts` set, everything else
 * (id, data) unchanged. Protobuf: the three attributes are appended as map entries, which
 * replace earlier ones of the same name (last map entry wins); the original bytes are
 * kept as they are. JSON: the object is parsed, the three members set, and written again.
 *
 * @throws BridgeError `undecodable` when a JSON payload is not a JSON object.
 */
export function withDeadLetter(payload: Uint8Array, format: EventFormat, info: DeadLetterInfo): Uint8Array {
  const error = truncateDeadLetterError(info.error);
  if (format === "protobuf") {
    const extra = encodeAttributeEntries({
      [DeadLetterExtension.Reason]: info.reason,
      [DeadLetterExtension.Error]: error,
      [DeadLetterExtension.Attempts]: info.attempts,
    });
    const out = new Uint8Array(payload.length + extra.length);
    out.set(payload, 0);
    out.set(extra, payload.length);
    return out;
  }
  let event: unknown;
  try {
    event = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8"));
  } catch (cause) {
    throw new BridgeError(
      ErrorCode.Undecodable,
      `a JSON CloudEvent payload to dead-letter is not valid JSON: ${String(cause)}`,
      { cause },
    );
  }
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    throw new BridgeError(ErrorCode.Undecodable, "a JSON CloudEvent payload to dead-letter is not a JSON object");
  }
  const updated: Record<string, unknown> = {
    ...(event as Record<string, unknown>),
    [DeadLetterExtension.Reason]: info.reason,
    [DeadLetterExtension.Error]: error,
    [DeadLetterExtension.Attempts]: info.attempts,
  };
  return Buffer.from(JSON.stringify(updated), "utf8");
}
