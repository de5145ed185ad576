import type { EventRecord } from '../events/record.js';
import { formatTimestampUs } from '../time/format.js';
import { safeJsonStringify } from '../events/safe-json.js';

/**
 * One record to one JSONL line (with the trailing newline), in the spec's key order:
 * `timestamp`, `event_type`, `session_id`, `data`, then our extras `turn`, `trace_id`,
 * `span_id` which readers of the spec ignore and which link a line to its trace.
 */
export function formatLine(r: EventRecord): string {
  let line =
    '{"timestamp":"' +
    formatTimestampUs(r.timestampUs) +
    '","event_type":' +
    quoted(r.eventType) +
    ',"session_id":' +
    (r.sessionId === null ? 'null' : quoted(r.sessionId)) +
    ',"data":' +
    safeJsonStringify(r.data);
  if (r.turn !== undefined) line += ',"turn":' + r.turn;
  if (r.traceId) line += ',"trace_id":"' + r.traceId + '","span_id":"' + r.spanId + '"';
  return line + '}\n';
}

/**
 * JSON string literals of event types and session ids. Both repeat on line after line (a few
 * dozen types, one id per conversation), so each is escaped once and then looked up: ~70 ns
 * of JSON.stringify per string becomes a Map hit (docs/performance.md). Bounded: cleared when full.
 */
const QUOTED_MAX = 4096;
const quotedCache = new Map<string, string>();

function quoted(s: string): string {
  let q = quotedCache.get(s);
  if (q === undefined) {
    q = JSON.stringify(s);
    if (quotedCache.size >= QUOTED_MAX) quotedCache.clear();
    quotedCache.set(s, q);
  }
  return q;
}
