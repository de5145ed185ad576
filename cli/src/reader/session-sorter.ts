import { ChurnMap } from './churn-map.js';
import type { FileEvent } from './parse-line.js';
import { withCapacity } from './typed-arrays.js';

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
 * - events outside any session (`session_id: null`) are released in time order ahead of the
 *   session that follows them (a speak-only call between two of voicemode's converse calls
 *   reaches the derivation between them), or once the input has moved `nullWindowUs`
 *   (default 10 min) on;
 * - `finish()` releases everything left, sessions in order of their first event, each after
 *   the null-session events before it.
 *
 * Buffered events are kept in columns (a slab of typed arrays, plus reference columns that
 * are cleared as soon as a slot is released), not as the pushed objects: the event object
 * handed to `push` is not kept, and the objects given to `release` are made at release time.
 * Pushed objects then die young (a scavenge frees them) instead of being promoted to the old
 * generation while their session is open and piling up there until a full GC.
 */
export interface SessionSorterOptions {
  idleUs?: number;
  nullWindowUs?: number;
}

/** No event in this slot / end of a list. */
const NIL = -1;
/** `turn` column: the event carries no turn. */
const NO_TURN = -1;

/**
 * A number read from a Float64Array column as the event's field should hold it: an integer in
 * the int32 range as a small integer. The interpreter reads every Float64Array element as a heap
 * number; one stored in `line` or `turn` turned that field into a double field for every event
 * object of the shape (the reader's too: a boxed number per field and event), and V8 threw away
 * the optimised code of `take`, `store` and `push` built for the old layout (issue 14, round 4).
 * -0 and any other number pass unchanged.
 */
function smallInt(x: number): number {
  return (x | 0) === x && (x !== 0 || 1 / x > 0) ? x | 0 : x;
}

export class SessionSorter {
  // ---- event slots: one list per session, linked through `next`, free slots on `free` ----
  private cap = 0;
  private ts: Float64Array = new Float64Array(0);
  private line: Float64Array = new Float64Array(0);
  private turn: Float64Array = new Float64Array(0);
  private fileIdx: Int32Array = new Int32Array(0);
  private next: Int32Array = new Int32Array(0);
  private types: (string | undefined)[] = [];
  private datas: (Record<string, unknown> | undefined)[] = [];
  private traces: (string | undefined)[] = [];
  private spans: (string | undefined)[] = [];
  private raws: (string | undefined)[] = [];
  private free = NIL;

  // ---- sessions: id -> session slot; null-session events have their own list ----
  private readonly open = new ChurnMap<string, number>();
  private sCap = 0;
  private sHead: Int32Array = new Int32Array(0);
  private sTail: Int32Array = new Int32Array(0);
  private sCount: Int32Array = new Int32Array(0);
  private sLast: Float64Array = new Float64Array(0);
  private sIds: (string | undefined)[] = [];
  private sFree: number[] = [];
  private nullHead = NIL;
  private nullTail = NIL;
  private nullCount = 0;

  /** The earliest timestamp among the buffered null-session events (+Infinity: none). */
  private nullMinUs = Number.POSITIVE_INFINITY;
  /** The session of the last pushed event and its slot (two lines in three continue the session of the line before). */
  private lastSid: string | undefined;
  private lastSlot = NIL;
  /** Slot numbers of one list being released (reused). */
  private order: number[] = [];
  private readonly byTime = (a: number, b: number): number => this.ts[a]! - this.ts[b]!;

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
    this.growSlots(256);
    this.growSessions(32);
  }

  get openSessions(): number {
    return this.open.size;
  }

  /** Events buffered now (open sessions and null-session events). */
  get bufferedEvents(): number {
    let n = this.nullCount;
    for (const s of this.open.values()) n += this.sCount[s]!;
    return n;
  }

  push(ev: FileEvent): void {
    const t = ev.timestampUs;
    if (t > this.watermark) {
      this.watermark = t;
      if (t >= this.nextSweepUs) this.sweep();
    }
    const k = this.store(ev);
    const sid = ev.sessionId;
    if (sid === null) {
      if (this.nullTail === NIL) this.nullHead = k;
      else this.next[this.nullTail] = k;
      this.nullTail = k;
      this.nullCount++;
      if (t < this.nullMinUs) this.nullMinUs = t;
      return;
    }
    let s = sid === this.lastSid ? this.lastSlot : this.open.get(sid);
    if (s === undefined) {
      s = this.newSession(sid, k, t);
      this.open.set(sid, s);
      this.lastSid = sid;
      this.lastSlot = s;
    } else {
      this.lastSid = sid;
      this.lastSlot = s;
      this.next[this.sTail[s]!] = k;
      this.sTail[s] = k;
      this.sCount[s]!++;
      if (t > this.sLast[s]!) this.sLast[s] = t;
    }
    if (ev.eventType === 'SESSION_END') {
      this.open.delete(sid);
      this.lastSid = undefined;
      this.releaseSession(s);
    } else if (ev.spanId === undefined && (ev.eventType === 'TOOL_REQUEST_END' || ev.eventType === 'TOOL_CANCELLED')) {
      // The end of a voicemode tool call: after an STT failure it writes no SESSION_END, and
      // this, the call's last line, carries the session's id. Released now, in order with the
      // calls that follow, instead of after an hour: the conversation chains through it.
      this.open.delete(sid);
      this.lastSid = undefined;
      this.releaseSession(s);
    }
  }

  /**
   * Releases a session, after the null-session events that came before it (a speak-only call
   * between two of voicemode's converse calls): the derivation then sees a conversation's calls
   * in time order, the speak-only reply included.
   */
  private releaseSession(s: number): void {
    const events = this.takeSession(s);
    if (events.length > 0) this.releaseNullBefore(events[0]!.timestampUs);
    this.release(events);
  }

  /** Releases idle sessions and old null-session events; runs at most once per minute of input time. */
  private sweep(): void {
    this.nextSweepUs = this.watermark + 60_000_000;
    const idleBefore = this.watermark - this.idleUs;
    for (const [sid, s] of this.open) {
      if (this.sLast[s]! < idleBefore) {
        this.open.delete(sid);
        this.lastSid = undefined;
        this.releaseSession(s);
      }
    }
    this.releaseNullBefore(this.watermark - this.nullWindowUs);
  }

  /** Releases the buffered null-session events earlier than `before`, in time order. */
  private releaseNullBefore(before: number): void {
    if (this.nullCount > 0 && this.nullMinUs < before) {
      const order = this.sortedList(this.nullHead);
      let i = 0;
      while (i < order.length && this.ts[order[i]!]! < before) i++;
      if (i > 0) {
        const out = this.materialize(order, 0, i, null);
        // the rest stays buffered, in its sorted order (as the sorted array did before)
        this.nullHead = NIL;
        this.nullTail = NIL;
        this.nullCount = 0;
        for (let j = i; j < order.length; j++) {
          const k = order[j]!;
          this.next[k] = NIL;
          if (this.nullTail === NIL) this.nullHead = k;
          else this.next[this.nullTail] = k;
          this.nullTail = k;
          this.nullCount++;
        }
        this.nullMinUs = i < order.length ? this.ts[order[i]!]! : Number.POSITIVE_INFINITY;
        this.release(out);
      }
    }
  }

  finish(): void {
    // Sessions in order of their first event, each after the null-session events before it.
    const rest = [...this.open.values()].map((s) => this.takeSession(s)).filter((evs) => evs.length > 0);
    this.open.clear();
    this.lastSid = undefined;
    rest.sort((a, b) => a[0]!.timestampUs - b[0]!.timestampUs);
    for (const events of rest) {
      this.releaseNullBefore(events[0]!.timestampUs);
      this.release(events);
    }
    this.releaseNullBefore(Number.POSITIVE_INFINITY);
  }

  // ---- slots ----

  /** Copies the event into a free slot; returns the slot. */
  private store(ev: FileEvent): number {
    if (this.free === NIL) this.growSlots(this.cap * 2);
    const k = this.free;
    this.free = this.next[k]!;
    this.next[k] = NIL;
    this.ts[k] = ev.timestampUs;
    this.line[k] = ev.line;
    this.fileIdx[k] = ev.file;
    this.turn[k] = ev.turn ?? NO_TURN;
    this.types[k] = ev.eventType;
    this.datas[k] = ev.data;
    this.traces[k] = ev.traceId;
    this.spans[k] = ev.spanId;
    this.raws[k] = ev.raw;
    return k;
  }

  private growSlots(cap: number): void {
    const old = this.cap;
    this.ts = withCapacity(this.ts, cap);
    this.line = withCapacity(this.line, cap);
    this.turn = withCapacity(this.turn, cap);
    this.fileIdx = withCapacity(this.fileIdx, cap);
    this.next = withCapacity(this.next, cap);
    for (let k = old; k < cap; k++) {
      this.types.push(undefined);
      this.datas.push(undefined);
      this.traces.push(undefined);
      this.spans.push(undefined);
      this.raws.push(undefined);
    }
    // new slots onto the free list (lowest first)
    for (let k = cap - 1; k >= old; k--) {
      this.next[k] = this.free;
      this.free = k;
    }
    this.cap = cap;
  }

  /** The slots of a list, in time order (stable: equal times keep the order they were pushed in). */
  private sortedList(head: number): number[] {
    const order = this.order;
    order.length = 0;
    let sorted = true;
    let prev = NIL;
    for (let k = head; k !== NIL; k = this.next[k]!) {
      if (prev !== NIL && this.ts[k]! - this.ts[prev]! < 0) sorted = false;
      order.push(k);
      prev = k;
    }
    if (!sorted) order.sort(this.byTime);
    return order;
  }

  /** Events of `order[from..to)` as objects; their slots go back to the free list. */
  private materialize(order: readonly number[], from: number, to: number, sessionId: string | null): FileEvent[] {
    const out: FileEvent[] = new Array(to - from);
    for (let i = from; i < to; i++) {
      const k = order[i]!;
      const turn = this.turn[k]!;
      out[i - from] = {
        timestampUs: this.ts[k]!,
        eventType: this.types[k]!,
        sessionId,
        data: this.datas[k]!,
        traceId: this.traces[k],
        spanId: this.spans[k],
        turn: turn === NO_TURN ? undefined : smallInt(turn),
        file: this.fileIdx[k]!,
        line: smallInt(this.line[k]!),
        raw: this.raws[k],
      };
      this.types[k] = undefined;
      this.datas[k] = undefined;
      this.traces[k] = undefined;
      this.spans[k] = undefined;
      this.raws[k] = undefined;
      this.next[k] = this.free;
      this.free = k;
    }
    return out;
  }

  // ---- sessions ----

  private newSession(sid: string, first: number, t: number): number {
    if (this.sFree.length === 0) this.growSessions(this.sCap * 2);
    const s = this.sFree.pop()!;
    this.sIds[s] = sid;
    this.sHead[s] = first;
    this.sTail[s] = first;
    this.sCount[s] = 1;
    this.sLast[s] = t;
    return s;
  }

  private growSessions(cap: number): void {
    this.sHead = withCapacity(this.sHead, cap);
    this.sTail = withCapacity(this.sTail, cap);
    this.sCount = withCapacity(this.sCount, cap);
    this.sLast = withCapacity(this.sLast, cap);
    for (let s = this.sCap; s < cap; s++) this.sIds.push(undefined);
    for (let s = cap - 1; s >= this.sCap; s--) this.sFree.push(s);
    this.sCap = cap;
  }

  /** A session's events, sorted, as objects; frees the session and its slots. */
  private takeSession(s: number): FileEvent[] {
    const sid = this.sIds[s]!;
    const order = this.sortedList(this.sHead[s]!);
    const out = this.materialize(order, 0, order.length, sid);
    this.sIds[s] = undefined;
    this.sFree.push(s);
    return out;
  }
}
