import type { EventRecord } from '../events/record.js';
import { safeJsonStringify } from '../events/safe-json.js';

/**
 * One record to one JSONL line (with the trailing newline), in the spec's key order:
 * `timestamp`, `event_type`, `session_id`, `data`, then our extras `turn`, `trace_id`,
 * `span_id` which readers of the spec ignore and which link a line to its trace.
 *
 * The writer encodes lines straight into its chunk buffers (`encodeLine`): most of a line
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
  let end = encodeLine(r, buf, 0);
  if (end < 0) {
    buf = Buffer.allocUnsafe(-end);
    end = encodeLine(r, buf, 0);
  }
  return buf.toString('utf8', 0, end);
}

const scratch = Buffer.allocUnsafe(16 * 1024);

/**
 * Writes the line of `r` into `buf` at `offset` and returns the offset after it. When the
 * line does not fit, nothing is written and the result is minus the bytes it needs.
 */
export function encodeLine(r: EventRecord, buf: Buffer, offset: number): number {
  const us = r.timestampUs;
  const sec = Math.floor(us / 1e6);
  const h = head(sec);
  const m = middle(r.eventType, r.sessionId);
  const t = tail(r);
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
  if (r.eventType === 'SESSION_END') forgetSession(r.sessionId);
  return off + t.length;
}

let headSecond = Number.NaN;
let headBytes = Buffer.alloc(0);

function head(sec: number): Buffer {
  if (sec !== headSecond) {
    headSecond = sec;
    headBytes = Buffer.from('{"timestamp":"' + new Date(sec * 1000).toISOString().slice(0, 19) + '.', 'latin1');
  }
  return headBytes;
}

/**
 * Middles by session id, then event type. Both repeat on line after line (a few dozen types,
 * one id per conversation), so each pair is escaped and encoded once. A session's entries go
 * when its SESSION_END is written; at most MAX_MIDDLES in all (cleared when full). Each is
 * its own exact-size buffer: a slice of Node's shared 8 KiB pool would keep the whole slab alive.
 */
const MAX_MIDDLES = 4096;
const middles = new Map<string | null, Map<string, Buffer>>();
let middleCount = 0;

function middle(eventType: string, sessionId: string | null): Buffer {
  let byType = middles.get(sessionId);
  let m = byType?.get(eventType);
  if (m !== undefined) return m;
  if (middleCount >= MAX_MIDDLES) {
    middles.clear();
    middleCount = 0;
    byType = undefined;
  }
  if (byType === undefined) {
    byType = new Map();
    middles.set(sessionId, byType);
  }
  const session = sessionId === null ? 'null' : JSON.stringify(sessionId);
  const text = `Z","event_type":${JSON.stringify(eventType)},"session_id":${session},"data":`;
  m = Buffer.allocUnsafeSlow(Buffer.byteLength(text, 'utf8'));
  m.write(text, 0, 'utf8');
  byType.set(eventType, m);
  middleCount++;
  return m;
}

/** A session's cached middles are not needed after its last line. */
function forgetSession(sessionId: string | null): void {
  const byType = middles.get(sessionId);
  if (byType === undefined) return;
  middleCount -= byType.size;
  middles.delete(sessionId);
}

/** The tail of the last line: events of one span come in runs. */
let tailTurn: number | undefined;
let tailTrace: string | undefined;
let tailSpan: string | undefined;
let tailBytes = Buffer.from('}\n');

function tail(r: EventRecord): Buffer {
  if (r.turn !== tailTurn || r.traceId !== tailTrace || r.spanId !== tailSpan) {
    tailTurn = r.turn;
    tailTrace = r.traceId;
    tailSpan = r.spanId;
    let t = r.turn !== undefined ? ',"turn":' + r.turn : '';
    if (r.traceId) t += ',"trace_id":"' + r.traceId + '","span_id":"' + r.spanId + '"';
    tailBytes = Buffer.from(t + '}\n', 'utf8');
  }
  return tailBytes;
}
