import PQueue from "p-queue";
import type { BatchConfig, RetryConfig } from "../config/bridge-config.js";
import { UNDECODABLE_PARTITION_KEY } from "../cloudevents/convert.js";
import { contentTypeFor, isRawPayload, publishMetadata } from "../cloudevents/publish-format.js";
import { BridgeError, ErrorCode } from "../errors/bridge-error.js";
import type { Logger } from "../observability/logger.js";
import type { PublishItem, Publisher } from "../publish/publisher.js";
import type { Spool, SpooledEvent } from "../spool/spool.js";
import { parkDeadLetter, turnIntoDeadLetter } from "./dead-lettering.js";
import { decideRetry } from "./retry-policy.js";
import { type Entry, type Target, toEntry } from "./entry.js";
import { FailureLog, isOutage, OUTAGE_STREAK } from "./failure-log.js";
import { takeBatch } from "./batches.js";
import { Fifo } from "./fifo.js";
import { KeyLanes } from "./key-lanes.js";
import { MinHeap } from "./min-heap.js";
import { Waiters } from "./waiters.js";
import type { DeliveryObserver } from "./observer.js";

/** Published events whose spool removal may wait, and for how long (ms): fewer transactions. */
const REMOVAL_BATCH = 4096;
const REMOVAL_DELAY_MS = 20;

/** Longest wait between two attempts to remove published events the spool refused to delete, ms. */
const REMOVAL_RETRY_MAX_MS = 5_000;
/** Least time between two error logs about removals that keep failing, ms. */
const REMOVAL_LOG_EVERY_MS = 60_000;

/** Options of a {@link DeliveryQueue}. */
export interface DeliveryQueueOptions {
  readonly spool: Spool;
  readonly publisher: Publisher;
  readonly retry: RetryConfig;
  readonly batch: BatchConfig;
  /** Events held in memory for delivery; more wait in the spool. */
  readonly maxInMemoryEvents: number;
  /** `key`: per-key order (docs/contract.md §5); `none`: no order. */
  readonly ordering: "key" | "none";
  readonly deadLetterPubsub: string;
  readonly deadLetterTopic: string;
  readonly logger: Logger;
  readonly observer?: DeliveryObserver;
  /** Monotonic clock, ms. @default performance.now */
  readonly now?: () => number;
  /** Wall clock, ms since the epoch: the age of an event (`retry.maxAgeMs`). @default Date.now */
  readonly wallNow?: () => number;
  /**
   * How long a published event above the removal watermark (the lowest unpublished seq) may wait
   * for the watermark to pass it, ms: one range delete then takes it with its neighbours, where a
   * delete by seq dirties a page per row (a disk spool). At most twice `maxInMemoryEvents` wait;
   * after a crash they are published again (at-least-once). 0: every published event is deleted
   * at the next flush (a memory spool). @default 0
   */
  readonly removalHoldMs?: number;
  /** Random source of the backoff jitter. @default Math.random */
  readonly random?: () => number;
}

/** What {@link DeliveryQueue.status} reports. */
export interface DeliveryStatus {
  /** Events in the in-memory window (ready, in flight, or waiting to retry). */
  readonly inWindow: number;
  /** Publish calls in flight. */
  readonly inFlightCalls: number;
  /** Events in those calls. */
  readonly inFlightEvents: number;
  /** Events waiting for a retry. */
  readonly retrying: number;
  /** Whether committed events wait in the spool beyond the window. */
  readonly backlogOnDisk: boolean;
}

/**
 * Publishes spooled events: per-key order, batches per target, retries with full-jitter
 * backoff, dead letters, and a bounded in-memory window paged from the spool.
 *
 * Invariant: the window holds every pending event with `seq <= loadedUpTo`; events of a
 * key enter the window in seq order, so a key's lane always has its oldest pending event
 * at its head.
 */
export class DeliveryQueue {
  private readonly opts: DeliveryQueueOptions;
  private readonly now: () => number;
  private readonly wallNow: () => number;
  private readonly random: () => number;
  private readonly removalHoldMs: number;
  private readonly window = new Map<number, Entry>();
  private readonly lanes: KeyLanes<Entry>;
  /**
   * Dead letters of undecodable input admitted outside the key lanes: they share one synthetic
   * key and have no order among themselves, so they leave in bulk calls, not one call each.
   */
  private readonly unordered = new Set<number>();
  private readonly targets = new Map<string, Target>();
  private readonly retries = new MinHeap<Entry>((e) => e.dueAt);
  private readonly calls: PQueue;
  private readonly abort = new AbortController();
  private loadedUpTo = 0;
  private backlogOnDisk = true;
  private pumpQueued = false;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = Infinity;
  private readonly idleWaiters = new Waiters();
  private readonly roomWaiters = new Waiters();
  private closed = false;
  /** Seqs published but not yet deleted from the spool (see flushRemovals). */
  private removals: number[] = [];
  /** Published seqs above the watermark, waiting for it to pass them (see flushRemovals). */
  private held: number[] = [];
  /** When the removals now held were first held (monotonic ms), or Infinity. */
  private heldSince = Infinity;
  /** Whether events entered the window in seq order (always, by construction; the watermark relies on it). */
  private admittedInOrder = true;
  /** The lowest seq of an event that left the window but is still pending in the spool (its parking failed). */
  private keptPendingBelow = Infinity;
  private removalTimer: NodeJS.Timeout | undefined;
  /** Failed removal attempts in a row; while above 0 the removals wait with backoff. */
  private removalFailures = 0;
  /** When the last removal failure was logged (monotonic ms). */
  private removalLoggedAt = -Infinity;
  private inFlightEvents = 0;
  /** Calls that failed as a whole with retryable errors since the last success. */
  private outageStreak = 0;
  private readonly failureLog: FailureLog;

  constructor(options: DeliveryQueueOptions) {
    this.opts = options;
    this.now = options.now ?? (() => performance.now());
    this.wallNow = options.wallNow ?? Date.now;
    this.random = options.random ?? Math.random;
    this.removalHoldMs = options.removalHoldMs ?? 0;
    if (!Number.isFinite(this.removalHoldMs) || this.removalHoldMs < 0)
      throw new BridgeError(
        ErrorCode.InvalidConfig,
        `DeliveryQueue removalHoldMs: expected a number of ms >= 0, got ${String(options.removalHoldMs)}`,
      );
    this.lanes = new KeyLanes<Entry>(options.ordering === "key");
    this.calls = new PQueue({ concurrency: options.batch.maxInFlight });
    this.failureLog = new FailureLog(options.logger);
  }

  /** Loads the spool's backlog (events committed before a restart) and starts publishing. */
  start(): void {
    this.pageIn();
    this.schedulePump();
  }

  /** Takes events just committed to the spool. Those beyond the window stay on disk and are paged in later. */
  accept(events: readonly SpooledEvent[]): void {
    if (this.closed) return;
    for (const event of events) {
      if (this.backlogOnDisk || this.occupied() >= this.opts.maxInMemoryEvents) {
        this.backlogOnDisk = true;
        break;
      }
      this.admit(event);
    }
    this.schedulePump();
  }

  /** Whether the sink may read more: the spool is under its bounds. */
  hasRoom(): boolean {
    return this.opts.spool.hasRoom();
  }

  /** Resolves when {@link hasRoom} is true; rejects when `signal` aborts. */
  async waitForRoom(signal?: AbortSignal): Promise<void> {
    while (!this.hasRoom()) await this.roomWaiters.wait(signal);
  }

  /** Current counts, for health and metrics. */
  status(): DeliveryStatus {
    return {
      inWindow: this.window.size,
      inFlightCalls: this.calls.pending,
      inFlightEvents: this.inFlightEvents,
      retrying: this.retries.size,
      backlogOnDisk: this.backlogOnDisk,
    };
  }

  /**
   * Waits until everything accepted so far is published (or parked as a dead letter), at
   * most `timeoutMs`. Returns whether it got there; what is left stays in the spool.
   */
  async drain(timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const both = signal === undefined ? deadline : AbortSignal.any([deadline, signal]);
    try {
      while (!this.isIdle()) await this.idleWaiters.wait(both);
      return true;
    } catch {
      return false;
    }
  }

  /** Stops publishing: in-flight calls are cancelled and their events stay in the spool. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort(new BridgeError(ErrorCode.Aborted, "the delivery queue was closed"));
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.calls.onIdle();
    // One last attempt; what it cannot delete is published again after a restart (at-least-once).
    this.flushRemovals(true);
    if (this.removalTimer !== undefined) clearTimeout(this.removalTimer);
    this.retries.clear();
    this.window.clear();
    this.lanes.clear();
    this.unordered.clear();
    this.roomWaiters.wake();
  }

  /**
   * Events the window holds, plus published events the spool has refused to delete so far:
   * those seqs stay in memory until a removal succeeds, so they take window room, which keeps
   * memory bounded while deletes fail (a full disk).
   */
  private occupied(): number {
    return this.window.size + (this.removalFailures > 0 ? this.removals.length : 0);
  }

  private isIdle(): boolean {
    return this.window.size === 0 && !this.backlogOnDisk && this.removals.length === 0 && this.held.length === 0;
  }

  private admit(event: SpooledEvent): void {
    const entry = toEntry(event);
    this.window.set(entry.seq, entry);
    if (entry.seq > this.loadedUpTo) this.loadedUpTo = entry.seq;
    else this.admittedInOrder = false;
    if (entry.deadLetter && entry.key === UNDECODABLE_PARTITION_KEY) {
      this.unordered.add(entry.seq);
      this.markReady(entry);
    } else if (this.lanes.enqueue(entry)) this.markReady(entry);
  }

  /** Fills the window from the spool once a quarter of it is free. */
  private pageIn(): void {
    if (!this.backlogOnDisk || this.closed) return;
    const room = this.opts.maxInMemoryEvents - this.occupied();
    if (room < Math.max(1, this.opts.maxInMemoryEvents >> 2)) return;
    const rows = this.opts.spool.readPending(this.loadedUpTo, room);
    for (const row of rows) this.admit(row);
    if (rows.length < room) this.backlogOnDisk = false;
  }

  private markReady(entry: Entry): void {
    entry.readyAt = this.now();
    this.targetOf(entry).ready.push(entry);
  }

  private targetOf(entry: Entry): Target {
    const name = `${entry.pubsub}\u0000${entry.topic}\u0000${entry.format}`;
    let target = this.targets.get(name);
    if (target === undefined) {
      target = { pubsub: entry.pubsub, topic: entry.topic, format: entry.format, ready: new Fifo<Entry>() };
      this.targets.set(name, target);
    }
    return target;
  }

  private schedulePump(): void {
    if (this.pumpQueued || this.closed) return;
    this.pumpQueued = true;
    setImmediate(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /**
   * The removal watermark: every pending event with a lower seq is published. The window holds
   * every pending event up to `loadedUpTo` and admits them in seq order, so its first key is its
   * lowest seq; events that left it unpublished (a dead letter that could not be parked) cap it.
   */
  private watermark(): number {
    if (!this.admittedInOrder) return 0;
    const first = this.window.keys().next();
    const lowestInWindow = first.done === true ? Infinity : first.value;
    return Math.min(this.loadedUpTo + 1, lowestInWindow, this.keptPendingBelow);
  }

  /**
   * Deletes published events from the spool in one transaction: those under the watermark as
   * one range (whole pages freed), those above it by seq. Removals wait up to REMOVAL_DELAY_MS
   * (or until REMOVAL_BATCH gathered) so that many settled batches share one transaction; events
   * above the watermark wait up to `removalHoldMs` for it to pass them. A crash meanwhile only
   * repeats those events (at-least-once).
   *
   * A removal the spool refuses (a full disk) is kept and retried with backoff until it
   * succeeds: dropping it would leave published rows pending, so `spool_pending_events` would
   * never fall back and every restart would publish them again.
   */
  private flushRemovals(final = false): void {
    if (this.removalTimer !== undefined) {
      clearTimeout(this.removalTimer);
      this.removalTimer = undefined;
    }
    if (this.removals.length === 0 && this.held.length === 0) return;
    const seqs = this.held.length === 0 ? this.removals : this.held.concat(this.removals);
    this.removals = [];
    this.held = [];
    const below = this.watermark();
    const now = this.now();
    const above = seqs.filter((seq) => seq >= below);
    // A full spool (the sink waits for room) frees what it can at once.
    const byOne =
      final ||
      !this.hasRoom() ||
      above.length > 2 * this.opts.maxInMemoryEvents ||
      now - Math.min(this.heldSince, now) >= this.removalHoldMs;
    try {
      this.opts.spool.removePublished(below, byOne ? above : []);
    } catch (error) {
      this.removals = seqs.concat(this.removals);
      this.removalFailed(BridgeError.from(error));
      return;
    }
    if (byOne || above.length === 0) this.heldSince = Infinity;
    else {
      this.held = above;
      if (this.heldSince === Infinity) this.heldSince = now;
    }
    if (this.removalFailures > 0) {
      this.opts.logger.info(
        { events: seqs.length, failedAttempts: this.removalFailures },
        "removed published events from the spool after failed attempts",
      );
      this.removalFailures = 0;
      this.removalLoggedAt = -Infinity;
      // Window room the stuck removals held is free again.
      this.pageIn();
      this.schedulePump();
    }
    if (this.held.length > 0) this.armRemovalTimer();
    if (this.hasRoom()) this.roomWaiters.wake();
    if (this.isIdle()) this.idleWaiters.wake();
  }

  private removalFailed(error: BridgeError): void {
    this.removalFailures++;
    const now = this.now();
    if (now - this.removalLoggedAt >= REMOVAL_LOG_EVERY_MS) {
      this.removalLoggedAt = now;
      this.opts.logger.error(
        { err: error, events: this.removals.length, failedAttempts: this.removalFailures },
        "could not remove published events from the spool; retrying until it succeeds (they stay pending meanwhile)",
      );
    }
    if (this.closed) return;
    const delay = Math.min(REMOVAL_RETRY_MAX_MS, REMOVAL_DELAY_MS * 2 ** Math.min(this.removalFailures, 16));
    this.removalTimer = setTimeout(() => {
      this.removalTimer = undefined;
      this.flushRemovals();
    }, delay);
  }

  /** Flushes removals when enough gathered, else within REMOVAL_DELAY_MS; waits out a retry backoff. */
  private scheduleRemovals(): void {
    if (this.removals.length === 0 || this.removalFailures > 0) {
      // Nothing to do, or a retry is already due at its backoff.
      return;
    }
    if (this.removals.length >= REMOVAL_BATCH) {
      this.flushRemovals();
      return;
    }
    this.armRemovalTimer();
  }

  /** A flush within REMOVAL_DELAY_MS, unless one is due already, a retry backoff runs, or the queue is closed. */
  private armRemovalTimer(): void {
    if (this.removalTimer !== undefined || this.removalFailures > 0 || this.closed) return;
    this.removalTimer = setTimeout(() => {
      this.removalTimer = undefined;
      this.flushRemovals();
    }, REMOVAL_DELAY_MS);
  }

  private pump(): void {
    this.scheduleRemovals();
    if (this.closed) return;
    const now = this.now();
    this.releaseDueRetries(now);
    let lingerUntil = Infinity;
    for (const target of this.targets.values()) {
      while (target.ready.length > 0) {
        const next = takeBatch(target.ready, this.opts.batch, this.calls.pending + this.calls.size, now);
        if (next.kind === "wait") {
          lingerUntil = Math.min(lingerUntil, next.until);
          break;
        }
        this.inFlightEvents += next.batch.length;
        const batch = next.batch;
        void this.calls.add(() => this.send(target, batch));
      }
    }
    const nextRetry = this.retries.peek();
    this.armTimer(Math.min(lingerUntil, nextRetry === undefined ? Infinity : nextRetry.dueAt));
  }

  private releaseDueRetries(now: number): void {
    for (let top = this.retries.peek(); top !== undefined && top.dueAt <= now; top = this.retries.peek()) {
      this.retries.pop();
      this.markReady(top);
    }
  }

  private armTimer(due: number): void {
    if (due === Infinity || due >= this.timerDue) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.timerDue = Infinity;
        this.pump();
      },
      Math.max(0, due - this.now()),
    );
  }

  private async send(target: Target, batch: readonly Entry[]): Promise<void> {
    const items: PublishItem[] = batch.map((e) => ({
      entryId: String(e.seq),
      data: e.payload,
      contentType: contentTypeFor(e.format),
      rawPayload: isRawPayload(e.format),
      metadata: publishMetadata(e.format, e.key),
    }));
    let failed: ReadonlyMap<string, BridgeError>;
    try {
      failed = (await this.opts.publisher.publish(target.pubsub, target.topic, items, this.abort.signal)).failed;
    } catch (error) {
      const reason = BridgeError.from(error, `publish to ${target.pubsub}/${target.topic}`);
      failed = new Map(items.map((item) => [item.entryId, reason]));
    }
    this.inFlightEvents -= batch.length;
    if (this.closed) return;
    this.settle(target, batch, failed);
  }

  private settle(target: Target, batch: readonly Entry[], failed: ReadonlyMap<string, BridgeError>): void {
    const done: Entry[] = [];
    for (const entry of batch) {
      const error = failed.get(String(entry.seq));
      if (error === undefined) done.push(entry);
      else this.fail(entry, error);
    }
    if (done.length > 0) {
      for (const entry of done) this.removals.push(entry.seq);
      this.opts.observer?.published(target.pubsub, target.topic, done, this.now());
      for (const entry of done) this.finish(entry);
      if (this.outageStreak >= OUTAGE_STREAK) this.releaseRetries();
      this.outageStreak = 0;
    } else if (isOutage(failed, batch.length)) {
      this.outageStreak++;
    }
    if (failed.size > 0) {
      this.opts.observer?.publishFailed([...failed.values()]);
      this.failureLog.failed(target, failed, this.now());
    } else {
      this.failureLog.succeeded(target);
    }
    this.afterChange();
  }

  /**
   * The sidecar is back after an outage: events backing off from retryable errors go now
   * instead of waiting out backoffs that grew during the outage (up to maxBackoffMs).
   */
  private releaseRetries(): void {
    const now = this.now();
    for (const entry of this.retries.clear()) {
      if (entry.retries > 0) {
        entry.dueAt = now;
        this.markReady(entry);
      } else {
        this.retries.push(entry);
      }
    }
  }

  /** Applies the retry policy's decision ({@link decideRetry}) to a failed entry. */
  private fail(entry: Entry, error: BridgeError): void {
    const clock = { now: this.now(), wallNow: this.wallNow() };
    const decision = decideRetry({ ...entry, retryable: error.retryable }, this.opts.retry, clock, this.random);
    const attemptCounted = decision.attempts !== entry.attempts;
    entry.attempts = decision.attempts;
    switch (decision.kind) {
      case "retry":
        entry.retries = decision.retries;
        if (attemptCounted) this.persistAttempts(entry);
        entry.dueAt = decision.at;
        this.retries.push(entry);
        this.opts.observer?.retried(entry);
        return;
      case "park":
        this.park(entry, error);
        return;
      case "dead-letter":
        this.toDeadLetter(entry, decision.reason, error);
        return;
    }
  }

  private persistAttempts(entry: Entry): void {
    try {
      this.opts.spool.recordAttempts([{ seq: entry.seq, attempts: entry.attempts }]);
    } catch (error) {
      this.opts.logger.warn({ err: BridgeError.from(error), seq: entry.seq }, "could not store an attempt count");
    }
  }

  private toDeadLetter(entry: Entry, reason: string, error: BridgeError): void {
    this.persistAttempts(entry);
    turnIntoDeadLetter(entry, reason, error, { pubsub: this.opts.deadLetterPubsub, topic: this.opts.deadLetterTopic });
    this.opts.observer?.deadLettered(entry, reason);
    this.opts.logger.warn(
      { id: entry.id, type: entry.type, attempts: entry.attempts, code: error.code },
      "event dead-lettered after its publish attempts",
    );
    this.markReady(entry);
  }

  /** The dead-letter publish failed too: the event stays in the spool, listed by `dead-letters list`. */
  private park(entry: Entry, error: BridgeError): void {
    if (!parkDeadLetter(this.opts.spool, entry, error, this.opts.logger))
      this.keptPendingBelow = Math.min(this.keptPendingBelow, entry.seq);
    this.opts.observer?.parked(entry);
    this.finish(entry);
  }

  /** The entry leaves the window; the next event of its key becomes ready. */
  private finish(entry: Entry): void {
    this.window.delete(entry.seq);
    const next = this.unordered.delete(entry.seq) ? undefined : this.lanes.complete(entry.key);
    if (next !== undefined) this.markReady(next);
  }

  private afterChange(): void {
    this.pageIn();
    this.schedulePump();
    if (this.hasRoom()) this.roomWaiters.wake();
    if (this.isIdle()) this.idleWaiters.wake();
  }
}
