import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Logger } from "../observability/logger.js";
import type { OutboundEvent, Spool, SpooledEvent } from "./spool.js";

/**
 * What a stream's client is told when its events cannot be committed. It names no path: the
 * log says which file failed and what to do.
 */
export const SPOOL_UNAVAILABLE_MESSAGE = "the bridge cannot store events now (spool full or unwritable); retry later";

/** Receives committed events (metrics: `events_accepted_total` counts only these). */
export interface CommitObserver {
  committed(events: readonly SpooledEvent[]): void;
}

/** Options of a {@link GroupCommit}. */
export interface GroupCommitOptions {
  readonly spool: Spool;
  /** Receives every committed batch (the delivery queue). */
  readonly onCommitted: (events: readonly SpooledEvent[]) => void;
  /** Told of every committed batch after `onCommitted`. */
  readonly observer?: CommitObserver;
  /** Events per transaction at most; a full batch commits at once. @default 1024 */
  readonly maxBatch?: number;
  /** Where failed commits are logged (error level, at most once per `logEveryMs`). @default no logging */
  readonly logger?: Logger;
  /** Least time between two error logs while commits keep failing, ms. @default 60000 */
  readonly logEveryMs?: number;
  /**
   * While commits fail, how often the spool is asked whether it can commit again
   * (`Spool.checkWritable`), ms; a successful commit also ends the failure. @default 1000
   */
  readonly recheckMs?: number;
  /** Monotonic clock, ms. @default performance.now */
  readonly now?: () => number;
}

/** Why commits fail, while they do: what readiness reports. */
export interface CommitFailure {
  /** When the first commit of this failure failed (monotonic ms). */
  readonly since: number;
  /** The last failure, naming the file and what to do. */
  readonly error: BridgeError;
  /** Failed commits (groups) since `since`. */
  readonly failedCommits: number;
}

/** One group of events committed together; streams wait on the group of their last event. */
export interface CommitGroup {
  /**
   * Resolves once the group is committed; rejects with a BridgeError (code `spool`,
   * {@link SPOOL_UNAVAILABLE_MESSAGE}, the spool's error as `cause`) when it could not be.
   */
  readonly committed: Promise<void>;
}

interface OpenGroup extends CommitGroup {
  readonly events: OutboundEvent[];
  resolve(): void;
  reject(error: BridgeError): void;
}

/**
 * Group commit: events from every stream gather for one turn of the event loop (or until
 * `maxBatch`) and are written to the spool in one transaction. An event counts as
 * accepted once its group is committed. While commits fail (a full disk), {@link failure}
 * says so, the condition is logged at error level at most once per `logEveryMs`, and the
 * spool is rechecked every `recheckMs` until it can commit again.
 */
export class GroupCommit {
  private readonly spool: Spool;
  private readonly onCommitted: (events: readonly SpooledEvent[]) => void;
  private readonly observer: CommitObserver | undefined;
  private readonly maxBatch: number;
  private readonly logger: Logger | undefined;
  private readonly logEveryMs: number;
  private readonly recheckMs: number;
  private readonly now: () => number;
  private open: OpenGroup | undefined;
  private scheduled = false;
  private failing: (CommitFailure & { loggedAt: number; unlogged: number }) | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;

  constructor(options: GroupCommitOptions) {
    this.spool = options.spool;
    this.onCommitted = options.onCommitted;
    this.observer = options.observer;
    this.maxBatch = options.maxBatch ?? 1024;
    this.logger = options.logger;
    this.logEveryMs = options.logEveryMs ?? 60_000;
    this.recheckMs = options.recheckMs ?? 1_000;
    this.now = options.now ?? (() => performance.now());
    for (const [name, value] of [
      ["maxBatch", this.maxBatch],
      ["logEveryMs", this.logEveryMs],
      ["recheckMs", this.recheckMs],
    ] as const) {
      if (!Number.isFinite(value) || value < (name === "maxBatch" ? 1 : 0)) {
        throw new BridgeError(
          ErrorCode.InvalidConfig,
          `GroupCommit ${name}: expected a number >= ${name === "maxBatch" ? 1 : 0}, got ${value}`,
        );
      }
    }
  }

  /** Events added but not committed yet. */
  get uncommitted(): number {
    return this.open?.events.length ?? 0;
  }

  /** Why commits fail now, or undefined while they succeed (readiness). */
  failure(): CommitFailure | undefined {
    if (this.failing === undefined) return undefined;
    const { since, error, failedCommits } = this.failing;
    return { since, error, failedCommits };
  }

  /** Adds an event to the open group and returns that group. */
  add(event: OutboundEvent): CommitGroup {
    const group = this.open ?? this.newGroup();
    group.events.push(event);
    if (group.events.length >= this.maxBatch) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return group;
  }

  /** Commits the open group now. */
  flush(): void {
    this.scheduled = false;
    const group = this.open;
    if (group === undefined) return;
    this.open = undefined;
    let spooled: SpooledEvent[];
    try {
      spooled = this.spool.append(group.events);
    } catch (error) {
      const reason =
        error instanceof BridgeError && error.code === ErrorCode.Spool
          ? error
          : new BridgeError(ErrorCode.Spool, "the spool could not commit events", { cause: error });
      this.failed(reason, group.events.length);
      group.reject(new BridgeError(ErrorCode.Spool, SPOOL_UNAVAILABLE_MESSAGE, { cause: reason }));
      return;
    }
    this.recovered();
    group.resolve();
    this.onCommitted(spooled);
    this.observer?.committed(spooled);
  }

  /** Stops the recheck timer; the open group, if any, stays for a last {@link flush}. */
  close(): void {
    if (this.recheckTimer !== undefined) clearInterval(this.recheckTimer);
    this.recheckTimer = undefined;
  }

  private failed(error: BridgeError, events: number): void {
    const now = this.now();
    if (this.failing === undefined) {
      this.failing = { since: now, error, failedCommits: 1, loggedAt: now, unlogged: 0 };
      this.logger?.error(
        { err: error, events },
        "the spool cannot commit events: streams end with UNAVAILABLE and /readyz reports not ready until it can",
      );
      if (this.spool.checkWritable !== undefined) {
        this.recheckTimer = setInterval(() => this.recheck(), this.recheckMs);
        this.recheckTimer.unref();
      }
      return;
    }
    const failing = this.failing;
    this.failing = { ...failing, error, failedCommits: failing.failedCommits + 1, unlogged: failing.unlogged + 1 };
    if (now - failing.loggedAt >= this.logEveryMs) {
      this.failing = { ...this.failing, loggedAt: now, unlogged: 0 };
      this.logger?.error(
        { err: error, events, failedCommits: this.failing.failedCommits, sinceLastLog: failing.unlogged + 1 },
        "the spool still cannot commit events",
      );
    }
  }

  private recheck(): void {
    try {
      this.spool.checkWritable?.();
    } catch {
      // Still failing; the next commit or recheck tries again.
      return;
    }
    this.recovered();
  }

  private recovered(): void {
    const failing = this.failing;
    if (failing === undefined) return;
    this.failing = undefined;
    this.close();
    this.logger?.info(
      { failedCommits: failing.failedCommits, failingForMs: Math.round(this.now() - failing.since) },
      "the spool can commit events again",
    );
  }

  private newGroup(): OpenGroup {
    let resolve!: () => void;
    let reject!: (error: BridgeError) => void;
    const committed = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A group nobody awaits (its streams ended early) must not raise an unhandled rejection.
    committed.catch(() => undefined);
    const group: OpenGroup = { events: [], committed, resolve, reject };
    this.open = group;
    return group;
  }
}
