import type { Logger } from "../observability/logger.js";

/** Options of {@link ThrottledWarning}. */
export interface ThrottledWarningOptions {
  readonly logger: Logger;
  /** The message of every line. */
  readonly message: string;
  /** At most one line per this many ms. @default 10000 */
  readonly everyMs?: number;
  /** Monotonic clock, ms. @default performance.now */
  readonly now?: () => number;
}

/**
 * One warning per `everyMs` for a repeated condition (one instance per stream): the first
 * occurrence logs at once; later ones are counted, and the next line (or {@link flush})
 * carries `count`, the occurrences it stands for. A flood of bad frames costs a line per
 * interval, not a line per frame.
 */
export class ThrottledWarning {
  private readonly options: ThrottledWarningOptions;
  private readonly now: () => number;
  private pending = 0;
  private lastLine = -Infinity;
  private lastFields: Record<string, unknown> = {};

  constructor(options: ThrottledWarningOptions) {
    this.options = options;
    this.now = options.now ?? (() => performance.now());
  }

  /** Records one occurrence; logs when the interval since the last line has passed. */
  occurred(fields: Record<string, unknown>): void {
    this.pending++;
    this.lastFields = fields;
    if (this.now() - this.lastLine >= (this.options.everyMs ?? 10_000)) this.flush();
  }

  /** Logs the occurrences not logged yet, if any (call when the stream ends). */
  flush(): void {
    if (this.pending === 0) return;
    this.options.logger.warn({ ...this.lastFields, count: this.pending }, this.options.message);
    this.pending = 0;
    this.lastLine = this.now();
  }
}
