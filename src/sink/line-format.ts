import type { EventRecord } from '../events/record.js';
import { safeJsonStringify } from '../events/safe-json.js';

/**
 * One record to one JSONL line (with the trailing newline), in the spec's key order:
 * `timestamp`, `event_type`, `session_id`, `data`, then our extras `turn`, `trace_id`,
 * `span_id` which readers of the spec ignore and which link a line to its trace.
 *
 * The writer encodes lines straight into its chunk buffers (`LineEncoder`): most of a line
 * repeats from the line before, so it is copied from cached bytes and only the data is
 * serialised. Building a string per line and joining them allocated ~650 bytes per line and
 * cost ~100 ns more (docs/performance.md). The pieces:
 *   head    `{"timestamp":"YYYY-MM-DDTHH:MM:SS.`          changes once a second
 *   micros  `ffffff`                                       written as six digits
 *   middle  `Z","event_type":"…","session_id":"…","data":` one per (session, event type)
 *   data    JSON of the data                               the only string made per line
 *   tail    `,"turn":N,"trace_id":"…","span_id":"…"}\n`  the same for the events of one span
 */
export function formatLine(r: EventRecord): string {
  let buf = scratch;
  let end = shared.encode(r, buf, 0);
  if (end < 0) {
    buf = Buffer.allocUnsafe(-end);
    end = shared.encode(r, buf, 0);
  }
  return buf.toString('utf8', 0, end);
}

const scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * Writes the line of `r` into `buf` at `offset` and returns the offset after it. When the
 * line does not fit, nothing is written and the result is minus the bytes it needs.
 * (Through one encoder shared by the module's callers; a writer has its own `LineEncoder`.)
 */
export function encodeLine(r: EventRecord, buf: Buffer, offset: number): number {
  return shared.encode(r, buf, offset);
}

/**
 * Most of a line repeats from the line before, so each encoder keeps the bytes of what
 * repeats: its own caches (a writer's lines never evict another writer's), bounded.
 */
export class LineEncoder {
  private headSecond = Number.NaN;
  private headBytes = Buffer.alloc(0);
  /**
   * Middles by session id, then event type. Both repeat on line after line (a few dozen types,
   * one id per conversation), so each pair is escaped and encoded once. A session's entries go
   * when its SESSION_END is written; at most MAX_MIDDLES in all (cleared when full). Each is
   * its own exact-size buffer: a slice of Node's shared 8 KiB pool would keep the whole slab alive.
   */
  private readonly middles = new Map<string | null, Map<string, Buffer>>();
  private middleCount = 0;
  /** The tail of the last line: events of one span come in runs. */
  private tailTurn: number | undefined;
  private tailTrace: string | undefined;
  private tailSpan: string | undefined;
  private tailBytes = Buffer.from('}\n');

  /** As `encodeLine`: the offset after the line, or minus the bytes it needs when it does not fit (nothing written). */
  encode(r: EventRecord, buf: Buffer, offset: number): number {
    const us = r.timestampUs;
    const sec = Math.floor(us / 1e6);
    const h = this.head(sec);
    const m = this.middle(r.eventType, r.sessionId);
    const t = this.tail(r);
    const json = safeJsonStringify(r.data);
    const fixed = h.length + 6 + m.length + t.length;
    // One UTF-16 unit is at most 3 UTF-8 bytes: the exact count is needed only near the end of a buffer.
    if (offset + fixed + json.length * 3 > buf.length) {
      const need = fixed + Buffer.byteLength(json, 'utf8');
      if (offset + need > buf.length) return -need;
    }
    let off = offset;
    buf.set(h, off);
    off += h.length;
    let frac = us - sec * 1e6;
    for (let i = 5; i >= 0; i--) {
      buf[off + i] = 48 + (frac % 10);
      frac = Math.floor(frac / 10);
    }
    off += 6;
    buf.set(m, off);
    off += m.length;
    off += buf.write(json, off, 'utf8');
    buf.set(t, off);
    if (r.eventType === 'SESSION_END') this.forgetSession(r.sessionId);
    return off + t.length;
  }

  private head(sec: number): Buffer {
    if (sec !== this.headSecond) {
      // toISOString throws on an invalid time before anything is cached or written
      const bytes = Buffer.from('{"timestamp":"' + new Date(sec * 1000).toISOString().slice(0, 19) + '.', 'latin1');
      this.headSecond = sec;
      this.headBytes = bytes;
    }
    return this.headBytes;
  }

  private middle(eventType: string, sessionId: string | null): Buffer {
    let byType = this.middles.get(sessionId);
    let m = byType?.get(eventType);
    if (m !== undefined) return m;
    if (this.middleCount >= MAX_MIDDLES) {
      this.middles.clear();
      this.middleCount = 0;
      byType = undefined;
    }
    if (byType === undefined) {
      byType = new Map();
      this.middles.set(sessionId, byType);
    }
    const session = sessionId === null ? 'null' : JSON.stringify(sessionId);
    const text = `Z","event_type":${JSON.stringify(eventType)},"session_id":${session},"data":`;
    m = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
    m.write(text, 0, 'utf8');
    byType.set(eventType, m);
    this.middleCount++;
    return m;
  }

  /** A session's cached middles are not needed after its last line. */
  private forgetSession(sessionId: string | null): void {
    const byType = this.middles.get(sessionId);
    if (byType === undefined) return;
    this.middleCount -= byType.size;
    this.middles.delete(sessionId);
  }

  private tail(r: EventRecord): Buffer {
    if (r.turn !== this.tailTurn || r.traceId !== this.tailTrace || r.spanId !== this.tailSpan) {
      this.tailTurn = r.turn;
      this.tailTrace = r.traceId;
      this.tailSpan = r.spanId;
      let t = r.turn !== undefined ? ',"turn":' + r.turn : '';
      if (r.traceId) t += ',"trace_id":"' + r.traceId + '","span_id":"' + r.spanId + '"';
      this.tailBytes = Buffer.from(t + '}\n', 'utf8');
    }
    return this.tailBytes;
  }
}

const MAX_MIDDLES = 4096;
const shared = new LineEncoder();
