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
    JSON.stringify(r.eventType) +
    ',"session_id":' +
    (r.sessionId === null ? 'null' : JSON.stringify(r.sessionId)) +
    ',"data":' +
    safeJsonStringify(r.data);
  if (r.turn !== undefined) line += ',"turn":' + r.turn;
  if (r.traceId) line += ',"trace_id":"' + r.traceId + '","span_id":"' + r.spanId + '"';
  return line + '}\n';
}
