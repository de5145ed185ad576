import type { Analysis } from './analyzer.js';

/**
 * Its own module (not the analyzer's): `summary` and the report import it at start, and the
 * analyzer's import graph (the analysis, d3-array) loads only once there are files to analyse
 * (issue 14 item 6: `summary` on an empty folder).
 *
 * Barge-ins: TTS operations cut short (TTS_INTERRUPTED) out of the TTS operations that did not
 * fail (TTS_START minus TTS_ERROR: a failed attempt was never a reply to cut short).
 */
export function interruptions(a: Pick<Analysis, 'eventTypes'>): { count: number; replies: number; rate: number | null } {
  const count = a.eventTypes.TTS_INTERRUPTED ?? 0;
  const replies = Math.max(0, (a.eventTypes.TTS_START ?? 0) - (a.eventTypes.TTS_ERROR ?? 0));
  return { count, replies, rate: replies > 0 ? count / replies : null };
}
