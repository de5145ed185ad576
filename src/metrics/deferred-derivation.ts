import type { EventRecord } from '../events/record.js';
import type { OperationKind } from '../events/operation-kinds.js';
import type { MetricsDeriver } from './derive.js';

/** What the instrumentation hands a session's derivation: its events, and each operation's end. */
export interface LiveDeriver {
  push(record: EventRecord): void;
  closeSpan(sessionId: string | null, spanId: string, kind?: OperationKind): void;
}

/** Items a session queues before it derives them at once (about 1 ms of derivation). */
export const MAX_QUEUED = 1024;

/** A queued operation end (the events are queued as they are). */
interface SpanClose {
  readonly sessionId: string | null;
  readonly spanId: string;
  readonly kind: OperationKind | undefined;
}

/**
 * A session's metrics derivation, run off the voice call's path: the events and operation
 * ends are queued as they are logged (one push each) and given to the MetricsDeriver, in
 * the same order, on the next turn of the event loop, or at once when a result is read
 * (`drain()`: the session's and turns' metrics; `drainDerivations()`: the OTel metrics being
 * collected). A session's samples, their values and their order are the ones the synchronous
 * derivation gave; only the moment the sample listeners run moves (a turn that ends leaves the
 * open turns behind its queued events: `after()`). The
 * derivation was ~4 us of a voice turn's ~31 us (docs/performance.md, item 3c), the same
 * reasoning as the histograms' queue (metrics/otel-instruments.ts).
 */
export class DeferredDeriver implements LiveDeriver {
  private readonly queue: (EventRecord | SpanClose | (() => void))[] = [];
  private queued = false;
  private draining = false;

  constructor(
    readonly deriver: MetricsDeriver,
    /** A fault inside the derivation: reported, never thrown into the app. */
    private readonly onError: (err: unknown) => void,
  ) {}

  push(record: EventRecord): void {
    this.enqueue(record);
  }

  closeSpan(sessionId: string | null, spanId: string, kind?: OperationKind): void {
    this.enqueue({ sessionId, spanId, kind });
  }

  /**
   * Queued for the next loop turn; but an app that logs in a long synchronous loop (or only in
   * microtasks) never gives the loop a turn: past MAX_QUEUED items the queue is derived at once,
   * so it holds at most that many records and no drain is longer than that.
   */
  private enqueue(item: EventRecord | SpanClose | (() => void)): void {
    this.queue.push(item);
    if (this.queue.length >= MAX_QUEUED && !this.draining) this.drain();
    else this.schedule();
  }

  /**
   * Runs `fn` once everything queued so far is derived (now, when nothing is): a turn leaves
   * its session's open turns there, so the samples of its events still reach its stats.
   */
  after(fn: () => void): void {
    if (this.queue.length === 0 && !this.draining) {
      fn();
      return;
    }
    this.enqueue(fn);
  }

  /** Derives everything queued, now. */
  drain(): void {
    // A sample listener that reads metrics while we derive gets the samples so far, as it did
    // when the derivation ran at once; what a listener logs meanwhile is taken in this loop.
    if (this.draining) return;
    this.draining = true;
    const queue = this.queue;
    try {
      for (let i = 0; i < queue.length; i++) {
        const item = queue[i]!;
        try {
          if (typeof item === 'function') item();
          else if ('eventType' in item) {
            derivingFrom.record = item;
            this.deriver.push(item);
          } else this.deriver.closeSpan(item.sessionId, item.spanId, item.kind);
        } catch (err) {
          this.report(err);
        } finally {
          derivingFrom.record = undefined;
        }
      }
    } finally {
      // whatever happened, the next drain starts clean (a stuck flag would end the session's metrics)
      queue.length = 0;
      this.draining = false;
    }
  }

  /** onError, which must not throw either: this runs from setImmediate, where nothing catches. */
  private report(err: unknown): void {
    try {
      this.onError(err);
    } catch {
      // the app's warning sink failed too: nothing left to tell
    }
  }

  private schedule(): void {
    if (this.queued) return;
    this.queued = true;
    waiting.push(this);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drainDerivations).unref();
    }
  }

  /** @internal drainDerivations took it off the waiting list. */
  taken(): void {
    this.queued = false;
  }
}

/**
 * The event whose push is deriving now, while a deferred derivation runs (else undefined):
 * a sample's listener that needs its end event (the histograms' stt_latency outcome) reads it
 * here, since the event logged last may be a later one by then.
 */
export const derivingFrom: { record: EventRecord | undefined } = { record: undefined };

/** Derivers with something queued, in the order they first queued. */
const waiting: DeferredDeriver[] = [];
let scheduled = false;

/** Derives everything queued in every session now (the next event-loop turn does it anyway). */
export function drainDerivations(): void {
  scheduled = false;
  // A deriver that queues again while we drain is added to `waiting` again and taken here too.
  for (let i = 0; i < waiting.length; i++) {
    const d = waiting[i]!;
    d.taken();
    d.drain();
  }
  waiting.length = 0;
}
