import { fileURLToPath } from 'node:url';

/**
 * The peer a data-minded user would pick for offline analysis of JSONL (issue 14 item 1):
 * DuckDB (`@duckdb/node-api`, a devDependency), 2 threads, computing `summary`'s metrics in
 * one SQL query over the same file, with count, mean, min, max and four quantiles per metric,
 * plus the event and session counts.
 *
 * The SQL follows the derivation's rules (src/metrics/derive.ts) as far as the bench's
 * generated file needs them, and the bench checks that counts and means agree with
 * `summary --json` before timing anything:
 * - operation metrics pair a start and its end by `span_id` (first of each per operation);
 * - response_time: a RECORDING_END to the next TTS_START of its session; voice_to_voice: to
 *   the moment the first TTS operation started after it was heard (the later of its first
 *   audio and its playback start; a failed attempt before it is waited through), both by a
 *   window over the session's RECORDING_ENDs and TTS starts.
 * What it leaves out (the generated file has none of it): VAD events, barge-ins, production
 * logs without span ids, conversations across sessions, two utterances before one reply.
 *
 * Run as a child by the bench: `node dist-bench/bench/duckdb-peer.js FILE [threads]` prints
 * one JSON object ({ events, sessions, metrics: { name: { count, mean, ... } } }).
 */

export const METRICS_SQL = `
WITH ev AS MATERIALIZED (
  SELECT epoch_us(timestamp) AS us, event_type AS t, session_id AS s, span_id AS sp
  FROM read_json($file, format = 'newline_delimited', ignore_errors = true,
    columns = {timestamp: 'TIMESTAMPTZ', event_type: 'VARCHAR', session_id: 'VARCHAR', span_id: 'VARCHAR'})
),
ops AS MATERIALIZED (
  SELECT s, sp,
    min(us) FILTER (t = 'TTS_START') AS tts_start,
    min(us) FILTER (t = 'TTS_FIRST_AUDIO') AS first_audio,
    min(us) FILTER (t = 'TTS_PLAYBACK_START') AS pb_start,
    min(us) FILTER (t = 'TTS_PLAYBACK_END') AS pb_end,
    min(us) FILTER (t = 'RECORDING_START') AS rec_start,
    min(us) FILTER (t = 'RECORDING_END') AS rec_end,
    min(us) FILTER (t = 'STT_START') AS stt_start,
    min(us) FILTER (t = 'STT_COMPLETE' OR t = 'STT_NO_SPEECH') AS stt_end,
    min(us) FILTER (t = 'LLM_START') AS llm_start,
    min(us) FILTER (t = 'LLM_FIRST_TOKEN') AS llm_first,
    min(us) FILTER (t = 'LLM_COMPLETE') AS llm_end
  FROM ev WHERE sp IS NOT NULL GROUP BY s, sp
),
marks AS (
  SELECT s, us, 0 AS k, NULL::BIGINT AS heard_us FROM ev WHERE t = 'RECORDING_END'
  UNION ALL
  SELECT s, tts_start, 1, greatest(first_audio, pb_start) FROM ops WHERE tts_start IS NOT NULL
),
replies AS MATERIALIZED (
  SELECT k,
    min(us) FILTER (k = 1) OVER w - us AS response_us,
    first_value(heard_us IGNORE NULLS) OVER w - us AS v2v_us
  FROM marks
  WINDOW w AS (PARTITION BY s ORDER BY us, k ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
),
samples AS (
  SELECT 'ttfa' AS metric, first_audio - tts_start AS d FROM ops WHERE first_audio >= tts_start
  UNION ALL SELECT 'tts_playback', pb_end - pb_start FROM ops WHERE pb_end >= pb_start
  UNION ALL SELECT 'recording_duration', rec_end - rec_start FROM ops WHERE rec_end >= rec_start
  UNION ALL SELECT 'stt_latency', stt_end - stt_start FROM ops WHERE stt_end >= stt_start
  UNION ALL SELECT 'llm_ttft', llm_first - llm_start FROM ops WHERE llm_first >= llm_start
  UNION ALL SELECT 'llm_duration', llm_end - llm_start FROM ops WHERE llm_end >= llm_start
  UNION ALL SELECT 'response_time', response_us FROM replies WHERE k = 0 AND response_us IS NOT NULL
  UNION ALL SELECT 'voice_to_voice', v2v_us FROM replies WHERE k = 0 AND v2v_us IS NOT NULL
)
SELECT metric, count(*) AS count, avg(d) / 1e6 AS mean, min(d) / 1e6 AS min, max(d) / 1e6 AS max,
  quantile_cont(d, 0.5) / 1e6 AS p50, quantile_cont(d, 0.9) / 1e6 AS p90,
  quantile_cont(d, 0.95) / 1e6 AS p95, quantile_cont(d, 0.99) / 1e6 AS p99
FROM samples GROUP BY metric ORDER BY metric`;

export const TOTALS_SQL = `
SELECT count(*) AS events, count(DISTINCT session_id) AS sessions
FROM read_json($file, format = 'newline_delimited', ignore_errors = true,
  columns = {timestamp: 'TIMESTAMPTZ', event_type: 'VARCHAR', session_id: 'VARCHAR'})
WHERE timestamp IS NOT NULL AND event_type IS NOT NULL -- a torn line is a row of NULLs here, a skipped line to summary`;

export interface DuckMetric {
  count: number;
  mean: number;
  min: number;
  max: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
}

export interface DuckSummary {
  events: number;
  sessions: number;
  metrics: Record<string, DuckMetric>;
}

export async function duckSummary(file: string, threads = 2): Promise<DuckSummary> {
  // imported here: only this item needs the native module
  const { DuckDBInstance } = await import('@duckdb/node-api');
  const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  const conn = await db.connect();
  try {
    await conn.run("SET TimeZone = 'UTC'");
    const metrics = new Map<string, DuckMetric>();
    const rows = (await conn.runAndReadAll(METRICS_SQL, { file })).getRowObjectsJS();
    for (const row of rows) {
      const m: Record<string, number> = Object.create(null) as Record<string, number>;
      for (const k of ['count', 'mean', 'min', 'max', 'p50', 'p90', 'p95', 'p99']) m[k] = Number(row[k]);
      metrics.set(String(row.metric), m as unknown as DuckMetric);
    }
    const totals = (await conn.runAndReadAll(TOTALS_SQL, { file })).getRowObjectsJS()[0]!;
    return { events: Number(totals.events), sessions: Number(totals.sessions), metrics: Object.fromEntries(metrics) };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/**
 * The disagreements between DuckDB's figures and `summary --json`'s (empty when they agree):
 * events, sessions, and every metric's count (exactly) and mean (summary rounds to the µs).
 */
export function disagreements(duck: DuckSummary, summary: { events: number; sessions: number; metrics: Record<string, { count: number; mean: number | null }> }): string[] {
  const out: string[] = [];
  if (duck.events !== summary.events) out.push(`events: DuckDB ${duck.events}, summary ${summary.events}`);
  if (duck.sessions !== summary.sessions) out.push(`sessions: DuckDB ${duck.sessions}, summary ${summary.sessions}`);
  const names = new Set([...Object.keys(duck.metrics), ...Object.keys(summary.metrics).filter((m) => (summary.metrics[m]?.count ?? 0) > 0)]);
  for (const name of names) {
    const d = duck.metrics[name];
    const s = summary.metrics[name];
    if (!d || !s) {
      out.push(`${name}: only in ${d ? 'DuckDB' : 'summary'}`);
      continue;
    }
    if (d.count !== s.count) out.push(`${name} count: DuckDB ${d.count}, summary ${s.count}`);
    else if (s.mean === null || Math.abs(d.mean - s.mean) > 1.5e-6) out.push(`${name} mean: DuckDB ${d.mean}, summary ${s.mean}`);
  }
  return out;
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const [file, threads] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: duckdb-peer FILE [threads]\n');
    process.exit(2);
  }
  process.stdout.write(JSON.stringify(await duckSummary(file, threads ? Number(threads) : 2)) + '\n');
}
