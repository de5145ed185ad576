import type { Analysis } from './analysis/analyzer.js';
import { DIFF_LIMIT_MS } from './analysis/thresholds.js';
import { iso, makeTable } from './format.js';

/**
 * Conversations, replies, assistant errors and voicemode's own timings beside ours, for
 * `summary` (docs/cli.md, "Conversations" and "Their numbers beside ours").
 */

/** Text from the input (session ids, ...) for a terminal: control characters escaped, never raw. */
export function printable(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function conversationsJson(a: Analysis): Record<string, unknown> {
  return {
    conversations: a.conversations,
    replies: a.metrics.response_time.count,
    unanswered: a.totals.unanswered,
    retried: a.totals.retried,
    errors_by_stage: a.errorsByStage,
    their_numbers: Object.fromEntries(
      a.theirNumbers.map((c) => [
        c.key,
        {
          compared_with: c.metric,
          pairs: c.pairs,
          median_diff_ms: c.medianDiffMs,
          median_approximate: c.approximate,
          over_limit_ms: DIFF_LIMIT_MS,
          over: c.over,
          pairs_over: c.overPairs.map((p) => ({ session_id: p.sessionId, timestamp: iso(p.us), ours_ms: p.oursMs, theirs_ms: p.theirsMs })),
        },
      ]),
    ),
  };
}

const ms = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(1)} ms`;

export function conversationsText(a: Analysis): string {
  const stages = Object.entries(a.errorsByStage).map(([k, v]) => `${k} ${v}`);
  const lines = [
    `Conversations: ${a.conversations}   Replies: ${a.metrics.response_time.count}   Unanswered: ${a.totals.unanswered}   ` +
      `Retried (after no speech): ${a.totals.retried}` +
      (stages.length ? `   Errors by stage: ${stages.join(', ')}` : ''),
  ];
  for (const c of a.theirNumbers) {
    if (c.pairs === 0) continue;
    lines.push(
      `Their ${c.key} beside our ${c.metric}: ${c.pairs} pair(s), median ours - theirs ${ms(c.medianDiffMs!)}${c.approximate ? ' (approximate: within 0.5% of the larger of the two middle differences in size)' : ''}, ` +
        `${c.over} differ by more than ${DIFF_LIMIT_MS} ms`,
    );
    if (c.overPairs.length > 0) {
      const t = makeTable(['session', 'timestamp', 'ours', 'theirs', 'ours - theirs']);
      for (const p of c.overPairs) t.push([printable(p.sessionId ?? '-'), iso(p.us) ?? '', `${p.oursMs.toFixed(1)} ms`, `${p.theirsMs.toFixed(1)} ms`, ms(p.oursMs - p.theirsMs)]);
      lines.push(t.toString());
    }
  }
  return lines.join('\n') + '\n';
}
