import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { METRIC_NAMES, SEGMENT_NAMES } from 'voicemode-events/metrics';
import { HISTOGRAM_METRICS, type ReportData } from './report-data.js';
import { SLOWEST_PER_PROVIDER } from '../analysis/store-options.js';
import { figures, money, sessionsLeftOut, STAGES } from '../render-usage.js';

/**
 * The report as one self-contained HTML file: tables rendered here, charts drawn in the page
 * by Chart.js (inlined from node_modules/chart.js/dist/chart.umd.js, so no network is needed
 * to view it), from the data embedded as JSON.
 */
export function chartJsSource(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('chart.js'); // .../chart.js/dist/chart.cjs
  return readFileSync(join(dirname(main), 'chart.umd.js'), 'utf8');
}

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const s3 = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : v.toFixed(3));
/** JSON safe inside <script>: no `</script>`, no HTML comment openers. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

function table(head: string[], rows: (string | number)[][]): string {
  if (rows.length === 0) return '<p class="none">none</p>';
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function renderHtml(d: ReportData, chartJs: string = chartJsSource()): string {
  const an = d.anomalies as {
    slow_outliers: number;
    unpaired_starts: number;
    timestamps_backwards: number;
    error_bursts: number;
    outliers?: { metric: string; provider: string; seconds: number; threshold: number; session_id: string | null; turn: number | null; start: string | null }[];
    bursts?: { start: string; end: string; count: number; sessions: number; types: Record<string, number> }[];
    backwards?: { session_id: string | null; event_type: string; location: string; timestamp: string; previous: string }[];
    unpaired_by_metric?: Record<string, number>;
  };
  const metricRows = METRIC_NAMES.map((m) => {
    const x = d.metrics[m];
    return [m, x.count, s3(x.mean), s3(x.min), s3(x.p50), s3(x.p90), s3(x.p95), s3(x.p99), s3(x.max), d.incomplete[m]];
  });
  const v2vMean = d.metrics.voice_to_voice.mean;
  const segmentRows = SEGMENT_NAMES.map((seg) => {
    const x = d.segments[seg];
    const share = v2vMean && x.mean !== null ? `${((100 * x.mean) / v2vMean).toFixed(1)}%` : '–';
    return [seg, x.count, s3(x.mean), s3(x.p50), s3(x.p95), share];
  });
  const breakdownRows = d.breakdown.map((b) => [b.label, b.name, b.metric, b.count, s3(b.mean), s3(b.p50), s3(b.p95)]);
  const slowRows = d.slowest.map((s) => [s.metric, s3(s.seconds), s.sessionId, s.turn, s.start, s.provider, s.model]);
  const outlierRows = (an.outliers ?? []).slice(0, 100).map((o) => [o.metric, o.provider, s3(o.seconds), s3(o.threshold), o.session_id ?? '–', o.turn ?? '–', o.start ?? '–']);
  const burstRows = (an.bursts ?? []).map((b) => [b.start, b.end, b.count, b.sessions, Object.entries(b.types).map(([k, v]) => `${k} ${v}`).join(', ')]);
  const backRows = (an.backwards ?? []).slice(0, 100).map((b) => [b.session_id ?? '–', b.event_type, b.location, b.timestamp, b.previous]);
  const unpaired = Object.entries(an.unpaired_by_metric ?? {}).filter(([, v]) => v > 0);

  const b = d.bargeIn;
  const pct = (v: number | null): string => (v === null ? '–' : `${(100 * v).toFixed(1)}%`);
  const bargeRows = [
    ['barge_in_stop (the user spoke to the assistant stopping)', b.stop],
    ['tts_playback_interrupted (playback until it was cut)', b.playbackInterrupted],
  ].map(([name, x]) => {
    const dist = x as ReportData['metrics'][keyof ReportData['metrics']];
    return [name as string, dist.count, s3(dist.mean), s3(dist.p50), s3(dist.p95), s3(dist.max)];
  });
  const c = d.cost;
  const usageRows: (string | number)[][] = [];
  for (const stage of STAGES) {
    for (const row of d.usage[stage].models) {
      const priced = c?.models.find((m) => m.stage === stage && m.provider === row.provider && m.model === row.model);
      usageRows.push([stage, String(row.provider ?? '–'), String(row.model ?? '–'), row.operations as number, figures(stage, row), c === null ? '' : priced ? money(priced.cost, c.currency) : 'unpriced']);
    }
  }
  const withoutUsage = STAGES.filter((st) => d.usage[st].without_usage > 0).map((st) => `${st} ${d.usage[st].without_usage}`);
  const costBlock =
    c === null
      ? '<p class="none">No price table (<code>--prices file.json</code> or <code>VOICEMODE_PRICES</code>): usage only.</p>'
      : c.models.length === 0 && c.unpriced.length === 0
        ? '<p class="none">No usage figures in these logs: nothing to price.</p>'
        : `<p class="cards" id="cost-cards"><span><b>${esc(money(c.total, c.currency))}</b> total${c.complete ? '' : c.unpriced.length > 0 ? ' (priced usage only)' : ' (operations that logged usage only)'}</span>` +
        `<span><b>${esc(money(c.per_session.mean, c.currency))}</b> mean per session</span><span><b>${esc(money(c.per_session.p95, c.currency))}</b> p95 per session</span>` +
        `<span><b>${c.per_session.count}</b> session(s) priced${sessionsLeftOut(c) ? `; ${esc(sessionsLeftOut(c))}` : ''}</span></p>` +
        `<p class="meta">Prices of ${esc(c.prices_date)} from ${esc(c.prices)}, in ${esc(c.currency)}; prices change. By stage: ${STAGES.map((st) => `${st} ${esc(money(c.by_stage[st], c.currency))}`).join(', ')}.` +
        `${c.unpriced.length > 0 ? ` Unpriced (no price in the table; not counted as free): ${esc(c.unpriced.map((u) => `${u.stage} ${u.provider ?? '–'}/${u.model ?? '–'}`).join(', '))}.` : ''}</p>` +
        '<div class="chart"><h3>Cost by provider and model</h3><canvas id="cost-by-model"></canvas></div>';

  const histCanvases = HISTOGRAM_METRICS.map((m) => `<div class="chart"><h3>${esc(m)} (s)</h3><canvas id="hist-${m}"></canvas></div>`).join('');
  const dailyCanvases = HISTOGRAM_METRICS.map((m) => `<div class="chart"><h3>${esc(m)} per day (s)</h3><canvas id="daily-${m}"></canvas></div>`).join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>voicemode-events report</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; background: #fff; }
  h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; } h3 { font-size: 14px; margin: 4px 0; }
  .meta { color: #555; } .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 16px; }
  .chart { border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px; height: 260px; position: relative; }
  .chart canvas { max-height: 220px; } .chart.wide { height: 420px; } .chart.wide canvas { max-height: 380px; }
  table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
  th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; } th { background: #f4f4f4; }
  .none { color: #777; } .cards span { display: inline-block; margin-right: 18px; } .cards b { font-size: 18px; }
</style>
</head>
<body>
<h1>voicemode-events report</h1>
<p class="meta">${esc(d.first ?? '–')} to ${esc(d.last ?? '–')} · ${d.files.length} file(s) · generated ${esc(d.generated)}</p>
<p class="cards"><span><b>${d.events}</b> events</span><span><b>${d.sessions}</b> sessions</span><span><b>${d.turns}</b> turns</span><span><b>${d.errors}</b> errors</span><span><b>${d.skippedLines}</b> skipped lines</span></p>
<h2>Metrics (seconds; quantiles by linear interpolation between closest ranks)</h2>
${quantilesNote(d)}${table(['metric', 'count', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'max', 'incomplete'], metricRows)}
<h2>Where a reply's time goes</h2>
<p class="meta">voice_to_voice (end of the user's speech to the reply heard) = endpointing + stt + llm + tts_wait + tts_first_audio, reply by reply.</p>
${table(['segment', 'count', 'mean', 'p50', 'p95', 'share of mean'], segmentRows)}
<div class="chart wide"><h3>Slowest replies, by segment (s)</h3><canvas id="reply-breakdown"></canvas></div>
<h2 id="barge-in">Barge-in</h2>
<p class="cards"><span><b id="interruption-rate">${pct(b.rate)}</b> of replies interrupted</span><span><b id="interrupted">${b.interrupted}</b> interrupted of ${b.replies} TTS operations</span></p>
${table(['metric (s)', 'count', 'mean', 'p50', 'p95', 'max'], bargeRows)}
<h2 id="usage-cost">Usage and cost</h2>
${costBlock}
${table(['stage', 'provider', 'model', 'operations', 'usage', 'cost'], usageRows)}
${withoutUsage.length ? `<p class="meta">Events without usage figures: ${esc(withoutUsage.join(', '))}</p>` : ''}
<h2>Distributions</h2>
<div class="grid">${histCanvases}</div>
<h2>Daily percentiles (p50, p90, p95)</h2>
<div class="grid">${dailyCanvases}</div>
<h2>By provider and model</h2>
<div class="grid"><div class="chart"><h3>TTFA by provider (p50, p95)</h3><canvas id="by-provider"></canvas></div><div class="chart"><h3>Response time by model (p50, p95)</h3><canvas id="by-model"></canvas></div></div>
${table(['by', 'name', 'metric', 'count', 'mean', 'p50', 'p95'], breakdownRows)}
<h2>Slowest turns</h2>
${table(['metric', 'seconds', 'session', 'turn', 'start', 'provider', 'model'], slowRows)}
<h2>Anomalies</h2>
<p>${an.slow_outliers} slow outlier(s) (value &gt; median + 3.5 × 1.4826 × MAD for the metric and provider) · ${an.unpaired_starts} unpaired start(s)${
    unpaired.length ? ' (' + esc(unpaired.map(([k, v]) => `${k} ${v}`).join(', ')) + ')' : ''
  } · ${an.timestamps_backwards} timestamp(s) going backwards · ${an.error_bursts} error burst(s)</p>
<h3>Slow outliers</h3>
${table(['metric', 'provider', 'seconds', 'threshold', 'session', 'turn', 'start'], outlierRows)}
<h3>Error bursts</h3>
${table(['start', 'end', 'errors', 'sessions', 'types'], burstRows)}
<h3>Timestamps going backwards</h3>
${table(['session', 'event', 'where', 'timestamp', 'previous'], backRows)}
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script type="application/json" id="report-data">${scriptJson({ histograms: d.histograms, daily: d.daily, breakdown: d.breakdown, segments: SEGMENT_NAMES, slowReplies: d.slowReplies, cost: d.cost === null ? null : { currency: d.cost.currency, models: d.cost.models } })}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('report-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  var colors = ['#3366cc', '#dc3912', '#ff9900', '#109618'];
  function fmt(v) { return (Math.round(v * 1000) / 1000).toString(); }
  Object.keys(data.histograms).forEach(function (m) {
    var bins = data.histograms[m];
    new Chart(document.getElementById('hist-' + m), {
      type: 'bar',
      data: { labels: bins.map(function (b) { return fmt(b.x0) + '–' + fmt(b.x1); }),
              datasets: [{ label: 'turns', data: bins.map(function (b) { return b.count; }), backgroundColor: colors[0], barPercentage: 1, categoryPercentage: 1 }] },
      options: { plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: 'seconds' } }, y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: 'count' } } } }
    });
  });
  Object.keys(data.daily).forEach(function (m) {
    var days = data.daily[m];
    new Chart(document.getElementById('daily-' + m), {
      type: 'line',
      data: { labels: days.map(function (d) { return d.day; }),
              datasets: ['p50', 'p90', 'p95'].map(function (p, i) { return { label: p, data: days.map(function (d) { return d[p]; }), borderColor: colors[i], backgroundColor: colors[i], pointRadius: 3 }; }) },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'seconds' } } } }
    });
  });
  function byChart(id, label, metric) {
    var rows = data.breakdown.filter(function (b) { return b.label === label && b.metric === metric; });
    new Chart(document.getElementById(id), {
      type: 'bar',
      data: { labels: rows.map(function (r) { return r.name; }),
              datasets: [{ label: 'p50', data: rows.map(function (r) { return r.p50; }), backgroundColor: colors[0] },
                         { label: 'p95', data: rows.map(function (r) { return r.p95; }), backgroundColor: colors[1] }] },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: 'seconds' } } } }
    });
  }
  var segColors = ['#7f7f7f', '#3366cc', '#ff9900', '#dc3912', '#109618'];
  new Chart(document.getElementById('reply-breakdown'), {
    type: 'bar',
    data: { labels: data.slowReplies.map(function (r) { return r.sessionId.slice(-6) + ' #' + r.turn + ' (' + fmt(r.seconds) + ' s)'; }),
            datasets: data.segments.map(function (seg, i) { return { label: seg, data: data.slowReplies.map(function (r) { return r.parts[seg]; }), backgroundColor: segColors[i] }; }) },
    options: { indexAxis: 'y', scales: { x: { stacked: true, beginAtZero: true, title: { display: true, text: 'seconds' } }, y: { stacked: true } } }
  });
  if (data.cost && document.getElementById('cost-by-model')) {
    var stageColor = { tts: colors[0], stt: colors[2], llm: colors[1] };
    new Chart(document.getElementById('cost-by-model'), {
      type: 'bar',
      data: { labels: data.cost.models.map(function (m) { return m.stage + ' ' + (m.provider || '–') + '/' + (m.model || '–'); }),
              datasets: [{ label: data.cost.currency, data: data.cost.models.map(function (m) { return m.cost; }),
                           backgroundColor: data.cost.models.map(function (m) { return stageColor[m.stage]; }) }] },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, title: { display: true, text: data.cost.currency } } } }
    });
  }
  byChart('by-provider', 'provider', 'ttfa');
  byChart('by-model', 'model', 'response_time');
  document.body.setAttribute('data-charts', String(Chart.instances ? Object.keys(Chart.instances).length : 0));
})();
</script>
</body>
</html>
`;
}

/**
 * Said above the metrics when any series was sketched (more samples than the exact budget):
 * which, and how close its percentiles, histogram and daily figures are. Nothing when exact.
 */
function quantilesNote(d: ReportData): string {
  const q = d.quantiles;
  if (!q.approximate) return '';
  return `<p class="meta" id="quantiles-note">Approximate percentiles (within ${100 * q.relative_error}% of the exact value), histograms and daily percentiles for ${esc(q.series.join(', '))}: more than ${q.exact_samples} samples each, so they come from quantile sketches; the outlier thresholds from a seeded uniform sample of each provider's values, the outlier count exact only where the slowest kept reach the threshold (else by sketch bucket); count, mean, min and max are exact; the slowest turns and outliers listed are the ${SLOWEST_PER_PROVIDER} slowest per metric and provider.</p>\n`;
}
