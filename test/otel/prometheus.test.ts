import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConversation } from '../../src/demo/conversation.js';
import { startTelemetry, type Telemetry } from '../../src/sdk/index.js';
import { tempDir } from '../helpers/harness.js';
import { freePort, sleep } from './net.js';
import { dashboardQueries, expandGrafanaVariables } from './dashboard.js';

/**
 * A real Prometheus (Debian package, 2.42) scrapes the package's own /metrics endpoint
 * (VOICEMODE_PROMETHEUS_PORT / the `metrics.prometheus` option) while simulated conversations
 * run; then every PromQL expression of the Grafana dashboard must return data.
 *
 * The dashboard uses the collector path's names (`..._seconds_bucket`: the collector's
 * prometheus exporter appends the unit). The SDK's direct exporter does not, so this scrape
 * config bridges it the way docs/observability.md tells users to: one metric_relabel_configs
 * rule that renames voice_*_bucket|sum|count to voice_*_seconds_bucket|sum|count.
 */
export const DIRECT_EXPORTER_RELABEL = `    metric_relabel_configs:
      - source_labels: [__name__]
        regex: "(voice_.+|gen_ai_client_operation_duration)_(bucket|sum|count)"
        target_label: __name__
        replacement: "\${1}_seconds_\${2}"`;

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
if (!hasPrometheus && process.env.CI) throw new Error('prometheus binary missing in CI (.ci/run installs the Debian package)');
if (!hasPrometheus) console.warn('SKIP test/otel/prometheus.test.ts: no `prometheus` binary (apt-get install prometheus)');

interface PromResult {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; values?: [number, string][]; value?: [number, string] }[] };
  error?: string;
}

let prom: ChildProcess | undefined;
let promUrl = '';
let telemetry: Telemetry | undefined;
let work = '';
let windowStart = 0;
let promLog = '';

async function query(path: string, params: Record<string, string>): Promise<PromResult> {
  const res = await fetch(`${promUrl}${path}?${new URLSearchParams(params)}`);
  return (await res.json()) as PromResult;
}

beforeAll(async () => {
  if (!hasPrometheus) return;
  work = tempDir('vme-prom-');
  const exporterPort = await freePort();
  const promPort = await freePort();
  telemetry = startTelemetry({
    dir: join(work, 'logs'),
    env: {},
    register: false,
    handleExit: false,
    otlp: false,
    metrics: { prometheus: { port: exporterPort } },
  });
  await telemetry.exports.meters!.prometheus!.ready;

  mkdirSync(join(work, 'data'));
  writeFileSync(
    join(work, 'prometheus.yml'),
    `global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: voicemode
    static_configs:
      - targets: ["127.0.0.1:${exporterPort}"]
${DIRECT_EXPORTER_RELABEL}
`,
  );
  promUrl = `http://127.0.0.1:${promPort}`;
  prom = spawn(
    'prometheus',
    [
      `--config.file=${join(work, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(work, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  prom.stderr!.on('data', (c: Buffer) => (promLog += c.toString()));
  const until = Date.now() + 20_000;
  for (;;) {
    const up = await query('/api/v1/query', { query: 'up' }).catch(() => undefined);
    if (up?.data.result.some((r) => r.value?.[1] === '1')) break;
    if (Date.now() > until) throw new Error(`prometheus did not come up / scrape:\n${promLog.slice(-2000)}`);
    await sleep(200);
  }

  // Conversations for ~6 s, so several scrapes see the histograms move (rate() needs two).
  windowStart = Date.now() / 1000 - 1;
  let seed = 1;
  while (Date.now() / 1000 - windowStart < 6) {
    await Promise.all(
      [0, 1, 2].map(() => runConversation(telemetry!.voice, { turns: 2, seed: seed++, speed: 40, errorRate: 0.3 })),
    );
  }
  await sleep(2500);
}, 60_000);

afterAll(async () => {
  if (prom?.pid !== undefined && prom.exitCode === null) {
    prom.kill('SIGTERM');
    await new Promise((r) => prom!.once('exit', r));
  }
  await telemetry?.shutdown();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!hasPrometheus)('Prometheus scrapes /metrics; every dashboard query returns data', () => {
  it('serves the direct exporter names without the unit suffix (the reason for the relabel rule)', async () => {
    const text = await (await fetch(telemetry!.exports.meters!.prometheus!.url)).text();
    expect(text).toContain('voice_tts_time_to_first_audio_bucket{');
    expect(text).not.toContain('voice_tts_time_to_first_audio_seconds_bucket');
    expect(text).toMatch(/voice_events_total\{/);
    expect(text).toMatch(/voice_sessions_open/);
    const names = await query('/api/v1/label/__name__/values', {});
    expect(names.data as unknown as string[]).toContain('voice_tts_time_to_first_audio_seconds_bucket');
  });

  const queries = dashboardQueries();
  it('the dashboard has PromQL for every panel kind the issue asks for', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const m of [
      'voice_tts_time_to_first_audio_seconds_bucket',
      'voice_turn_response_time_seconds_bucket',
      'voice_turn_voice_to_voice_seconds_bucket',
      'voice_stt_duration_seconds_bucket',
      'voice_errors_total',
      'voice_sessions_open',
    ]) {
      expect(all).toContain(m);
    }
    expect(queries.length).toBeGreaterThan(15);
  });

  it.each(queries.map((q) => [`${q.panel} / ${q.refId}`, q.expr]))('%s returns data', async (_name, expr) => {
    const now = Date.now() / 1000;
    const r = await query('/api/v1/query_range', {
      query: expandGrafanaVariables(expr),
      start: String(windowStart),
      end: String(now),
      step: '1',
    });
    expect(r.status, r.error).toBe('success');
    const values = r.data.result.flatMap((s) => s.values ?? []).filter(([, v]) => v !== 'NaN');
    expect(r.data.result.length, `series for ${expr}`).toBeGreaterThan(0);
    expect(values.length, `non-NaN points for ${expr}`).toBeGreaterThan(0);
  });
});
