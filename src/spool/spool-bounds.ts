import { BridgeError, ErrorCode } from "../errors/bridge-error.js";

/** The size bounds of a spool. */
export interface SpoolBoundsOptions {
  /** Pending events at which {@link Spool.hasRoom} turns false. A positive integer. */
  readonly maxEvents: number;
  /** Payload bytes held (pending and dead) at which {@link Spool.hasRoom} turns false. A positive integer. */
  readonly maxBytes: number;
}

/** Checks the bounds; throws `BridgeError` (code `invalid_config`) naming the bad option. */
export function validateSpoolBounds(options: SpoolBoundsOptions): SpoolBoundsOptions {
  for (const name of ["maxEvents", "maxBytes"] as const) {
    const value = options[name];
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new BridgeError(
        ErrorCode.InvalidConfig,
        `Spool option ${name} must be a positive integer; got ${String(value)}.`,
      );
    }
  }
  return { maxEvents: options.maxEvents, maxBytes: options.maxBytes };
}

/**
 * Running counts of a spool, kept in memory so `stats()` and `hasRoom()` are O(1). Callers
 * apply a change only after the store committed it.
 */
export class SpoolCounts {
  pending = 0;
  dead = 0;
  bytes = 0;

  constructor(private readonly bounds: SpoolBoundsOptions) {}

  /** Pending below `maxEvents` and bytes below `maxBytes`. */
  hasRoom(): boolean {
    return this.pending < this.bounds.maxEvents && this.bytes < this.bounds.maxBytes;
  }

  /** A copy of the counts. */
  snapshot(): { pending: number; dead: number; bytes: number } {
    return { pending: this.pending, dead: this.dead, bytes: this.bytes };
  }
}
