import type { FileEvent } from './parse-line.js';

/**
 * Puts each session's events in time order before they reach the metrics derivation.
 *
 * Lines of one file can be slightly out of order (the span-exporter path writes a span's
 * events when the span ends; a session's SESSION_START is then written last), so events
 * are buffered per session and released, sorted by timestamp (stable: equal times keep file
 * order), when the session's SESSION_END arrives. Memory grows with the number of open
 * sessions, not with the input size:
 * - a session that never ends (a crash) is released once the input has moved `idleUs`
 *   (default 1 h) past its last event; later events of it form a new batch;
 * - events outside any session (`session_id: null`) are independent operations: they are
 *   released in time order once the input has moved `nullWindowUs` (default 10 min) on;
 * - `finish()` releases everything left, sessions in order of their first event.
 */
export interface SessionSorterOptions {
  idleUs?: number;
  nullWindowUs?: number;
}

interface Buffered {
  events: FileEvent[];
  lastUs: number;
}

const byTime = (a: FileEvent, b: FileEvent): number => a.timestampUs - b.timestampUs;

export class SessionSorter {
  private readonly open = new Map<string, Buffered>();
  private nullEvents: FileEvent[] = [];
  private watermark = Number.NEGATIVE_INFINITY;
  private nextSweepUs = Number.NEGATIVE_INFINITY;
  private readonly idleUs: number;
  private readonly nullWindowUs: number;

  /** `release` gets one session's events (or a run of null-session events), sorted. */
  constructor(
    private readonly release: (events: FileEvent[]) => void,
    opts: SessionSorterOptions = {},
  ) {
    this.idleUs = opts.idleUs ?? 3_600_000_000;
    this.nullWindowUs = opts.nullWindowUs ?? 600_000_000;
  }

  get openSessions(): number {
    return this.open.size;
  }

  push(ev: FileEvent): void {
    const t = ev.timestampUs;
    if (t > this.watermark) {
      this.watermark = t;
      if (t >= this.nextSweepUs) this.sweep();
    }
    const sid = ev.sessionId;
    if (sid === null) {
      this.nullEvents.push(ev);
      return;
    }
    let b = this.open.get(sid);
    if (b === undefined) {
      b = { events: [], lastUs: t };
      this.open.set(sid, b);
    }
    b.events.push(ev);
    if (t > b.lastUs) b.lastUs = t;
    if (ev.eventType === 'SESSION_END') {
      this.open.delete(sid);
      this.release(b.events.sort(byTime));
    }
  }

  /** Releases idle sessions and old null-session events; runs at most once per minute of input time. */
  private sweep(): void {
    this.nextSweepUs = this.watermark + 60_000_000;
    const idleBefore = this.watermark - this.idleUs;
    for (const [sid, b] of this.open) {
      if (b.lastUs < idleBefore) {
        this.open.delete(sid);
        this.release(b.events.sort(byTime));
      }
    }
    if (this.nullEvents.length > 0) {
      const before = this.watermark - this.nullWindowUs;
      this.nullEvents.sort(byTime);
      let i = 0;
      while (i < this.nullEvents.length && this.nullEvents[i]!.timestampUs < before) i++;
      if (i > 0) this.release(this.nullEvents.splice(0, i));
    }
  }

  finish(): void {
    const rest = [...this.open.values()].map((b) => b.events.sort(byTime));
    this.open.clear();
    if (this.nullEvents.length > 0) rest.push(this.nullEvents.sort(byTime));
    this.nullEvents = [];
    rest.sort((a, b) => a[0]!.timestampUs - b[0]!.timestampUs);
    for (const events of rest) this.release(events);
  }
}
