import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { OutboundEvent, Spool, SpooledEvent } from "./spool.js";

/** Options of a {@link GroupCommit}. */
export interface GroupCommitOptions {
  readonly spool: Spool;
  /** Receives every committed batch (the delivery queue). */
  readonly onCommitted: (events: readonly SpooledEvent[]) => void;
  /** Events per transaction at most; a full batch commits at once. @default 1024 */
  readonly maxBatch?: number;
}

/** One group of events committed together; streams wait on the group of their last event. */
export interface CommitGroup {
  /** Resolves once the group is committed; rejects with a BridgeError (code `spool`) when it could not be. */
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
 * accepted once its group is committed.
 */
export class GroupCommit {
  private readonly spool: Spool;
  private readonly onCommitted: (events: readonly SpooledEvent[]) => void;
  private readonly maxBatch: number;
  private open: OpenGroup | undefined;
  private scheduled = false;

  constructor(options: GroupCommitOptions) {
    this.spool = options.spool;
    this.onCommitted = options.onCommitted;
    this.maxBatch = options.maxBatch ?? 1024;
  }

  /** Events added but not committed yet. */
  get uncommitted(): number {
    return this.open?.events.length ?? 0;
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
      group.reject(reason);
      return;
    }
    group.resolve();
    this.onCommitted(spooled);
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
