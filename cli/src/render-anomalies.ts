import type { Analysis } from './analysis/analyzer.js';
import { BURST_GAP_US, BURST_MIN, OUTLIER_K, OUTLIER_METRICS } from './analysis/thresholds.js';
import { RESERVOIR_SIZE, SLOWEST_PER_PROVIDER } from './analysis/store-options.js';
import { METRIC_NAMES } from 'voicemode-events/metrics';
import { iso, makeTable, sec } from './format.js';
import { printable } from './render-conversations.js';

/** Anomalies as JSON (snake_case, ISO times). `details` adds the lists. */
export function anomaliesJson(a: Analysis, details: boolean): Record<string, unknown> {
  const an = a.anomalies;
  const out: Record<string, unknown> = {
    slow_outliers: an.outlierCount,
    unpaired_starts: an.unpairedTotal,
    timestamps_backwards: an.timestampsBackwards,
    error_bursts: an.errorBursts.length,
  };
  const sketched = sketchedOutlierMetrics(a);
  // always there (false when every outlier figure is exact), so a consumer need not test for the key
  out.approximate =
    sketched.length === 0
      ? false
      : {
          metrics: sketched,
          relative_error: a.quantiles.relativeError,
          sample_size: RESERVOIR_SIZE,
          count_exact: an.outlierCountExact,
          note: approximateNote(a, sketched),
        };
  if (details) {
    out.rule = {
      slow_outlier: `value > median + ${OUTLIER_K} * 1.4826 * max(MAD, 1ms), per metric and provider, groups of >= 10`,
      error_burst: `>= ${BURST_MIN} *_ERROR events each within ${BURST_GAP_US / 1e6}s of the previous`,
    };
    out.outlier_groups = an.outlierGroups;
    out.outliers = an.outliers.map((o) => ({
      metric: o.metric,
      provider: o.provider,
      seconds: o.seconds,
      threshold: o.threshold,
      median: o.median,
      session_id: o.sessionId ?? null,
      turn: o.turn ?? null,
      start: iso(o.startUs),
    }));
    out.unpaired_by_metric = an.unpairedStarts;
    out.unpaired = an.unpairedList.map((u) => ({ metric: u.metric, session_id: u.sessionId, turn: u.turn, timestamp: iso(u.us) }));
    out.errors = an.errorList.map((e) => ({ event_type: e.type, stage: e.stage ?? null, session_id: e.sessionId, turn: e.turn ?? null, timestamp: iso(e.us) }));
    out.normal = { unanswered: a.totals.unanswered, retried: a.totals.retried };
    out.backwards = an.backwardsSteps.map((b) => ({
      session_id: b.sessionId,
      event_type: b.eventType,
      location: `${b.file}:${b.line}`,
      timestamp: iso(b.us),
      previous: iso(b.previousUs),
    }));
    out.bursts = an.errorBursts.map((b) => ({ start: iso(b.startUs), end: iso(b.endUs), count: b.count, sessions: b.sessions, types: b.types }));
  }
  return out;
}

/** What is approximate about the outlier figures past the exact budget (docs/cli.md, "Exact and approximate figures"). */
function approximateNote(a: Analysis, sketched: readonly string[]): string {
  const count = a.anomalies.outlierCountExact
    ? 'the count exact (the slowest kept per provider reach the threshold)'
    : 'the count by sketch bucket (within 0.5% of the threshold a value can land on the wrong side) where the slowest kept per provider do not reach the threshold, never fewer than listed';
  return (
    `more than ${a.quantiles.exactSamples} samples of ${sketched.length === 1 ? 'this metric' : 'these metrics'}: ` +
    `median and MAD per provider from a seeded uniform sample of at most ${RESERVOIR_SIZE} values, ${count}; ` +
    `at most ${SLOWEST_PER_PROVIDER} outliers listed per metric and provider (the slowest)`
  );
}

/** Outlier metrics whose figures come from sketches (past the exact budget). */
function sketchedOutlierMetrics(a: Analysis): string[] {
  return a.quantiles.sketched.filter((m) => (OUTLIER_METRICS as readonly string[]).includes(m));
}

export function anomaliesOneLine(a: Analysis): string {
  const an = a.anomalies;
  return (
    `Anomalies: ${an.outlierCount} slow outlier(s), ${an.unpairedTotal} unpaired start(s), ` +
    `${an.timestampsBackwards} timestamp(s) going backwards, ${an.errorBursts.length} error burst(s)`
  );
}

export function anomaliesText(a: Analysis, limit: number): string {
  const an = a.anomalies;
  const parts: string[] = [anomaliesOneLine(a)];
  if (an.outliers.length > 0) {
    parts.push(`\nSlow outliers (value > median + ${OUTLIER_K} x 1.4826 x MAD for the metric and provider):`);
    const t = makeTable(['metric', 'provider', 'value', 'threshold', 'median', 'session', 'turn', 'start']);
    for (const o of an.outliers.slice(0, limit)) {
      t.push([o.metric, o.provider, sec(o.seconds), sec(o.threshold), sec(o.median), printable(o.sessionId ?? '-'), String(o.turn ?? '-'), iso(o.startUs) ?? '-']);
    }
    parts.push(t.toString());
    if (an.outliers.length > limit) parts.push(`... and ${an.outliers.length - limit} more (--limit)`);
  }
  // said whether or not any outlier is listed: a count of 0 past the budget is approximate too
  const sketched = sketchedOutlierMetrics(a);
  if (sketched.length > 0) parts.push(`Approximate for ${sketched.join(', ')}: ${approximateNote(a, sketched)}.`);
  if (an.unpairedTotal > 0) {
    parts.push(
      '\nUnpaired starts: ' +
        METRIC_NAMES.filter((m) => an.unpairedStarts[m] > 0)
          .map((m) => `${m} ${an.unpairedStarts[m]}`)
          .join(', '),
    );
    if (an.unpairedList.length > 0) {
      const t = makeTable(['metric', 'session', 'turn', 'start']);
      for (const u of an.unpairedList.slice(0, limit)) t.push([u.metric, printable(u.sessionId ?? '-'), String(u.turn), iso(u.us) ?? '']);
      parts.push(t.toString());
      if (an.unpairedList.length > limit) parts.push(`... and ${an.unpairedList.length - limit} more (--limit)`);
    }
  }
  if (an.errorList.length > 0) {
    parts.push('\nErrors (*_ERROR events, failed or cancelled tool calls):');
    const t = makeTable(['event', 'stage', 'session', 'turn', 'timestamp']);
    for (const e of an.errorList.slice(0, limit)) t.push([printable(e.type), e.stage ?? '-', printable(e.sessionId ?? '-'), String(e.turn ?? '-'), iso(e.us) ?? '']);
    parts.push(t.toString());
    if (an.errorList.length > limit) parts.push(`... and ${an.errorList.length - limit} more (--limit)`);
  }
  if (a.totals.unanswered + a.totals.retried > 0) {
    parts.push(`\nNot anomalies (normal in a conversation): ${a.totals.unanswered} unanswered (the conversation ended first), ${a.totals.retried} retried (recorded again after no speech)`);
  }
  if (an.backwardsSteps.length > 0) {
    parts.push('\nTimestamps going backwards (file order, same session and operation):');
    const t = makeTable(['session', 'event', 'where', 'timestamp', 'previous']);
    for (const b of an.backwardsSteps.slice(0, limit)) t.push([printable(b.sessionId ?? '-'), printable(b.eventType), `${b.file}:${b.line}`, iso(b.us) ?? '', iso(b.previousUs) ?? '']);
    parts.push(t.toString());
  }
  if (an.errorBursts.length > 0) {
    parts.push(`\nError bursts (>= ${BURST_MIN} errors, each within ${BURST_GAP_US / 1e6}s of the previous):`);
    const t = makeTable(['start', 'end', 'errors', 'sessions', 'types']);
    for (const b of an.errorBursts.slice(0, limit)) {
      t.push([iso(b.startUs) ?? '', iso(b.endUs) ?? '', String(b.count), String(b.sessions), Object.entries(b.types).map(([k, v]) => `${k} ${v}`).join(', ')]);
    }
    parts.push(t.toString());
  }
  return parts.join('\n') + '\n';
}
