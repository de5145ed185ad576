import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runConversation } from '../../src/demo/conversation.js';
import { HISTOGRAMS, startTelemetry, type Telemetry } from '../../../test/helpers/lib.js';
import { tempDir } from '../../../test/helpers/harness.js';
import { freePort, sleep } from '../../../test/otel/net.js';

/**
 * A real Prometheus (Debian package, 2.42) scrapes the package's own /metrics endpoint
 * (VOICEMODE_PROMETHEUS_PORT / the `metrics.prometheus` option) while simulated conversations
 * run, with no relabelling: what it stores are the names @opentelemetry/exporter-prometheus
 * serves. The Grafana dashboard uses the collector's names instead (unit suffix `_seconds`);
 * test/stack/demo.test.ts runs every dashboard query against the real collector.
 */
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
      [0, 1, 2].map(() => runConversation(telemetry!.voice, { turns: 2, seed: seed++, speed: 40, errorRate: 0.3, bargeInRate: 0.5 })),
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

describe.skipIf(!hasPrometheus)('Prometheus scrapes the direct /metrics endpoint', () => {
  it('stores every histogram under the direct exporter name, without the unit suffix the collector adds', async () => {
    const text = await (await fetch(telemetry!.exports.meters!.prometheus!.url)).text();
    expect(text).toMatch(/voice_events_total\{/);
    expect(text).toMatch(/voice_sessions_open/);
    const names = (await query('/api/v1/label/__name__/values', {})).data as unknown as string[];
    // runConversation has no LLM stage: a histogram without samples has no series.
    let present = 0;
    for (const { name } of Object.values(HISTOGRAMS)) {
      const base = name.replaceAll('.', '_');
      expect(names, `${base}_seconds_bucket is the collector's name`).not.toContain(`${base}_seconds_bucket`);
      if (!names.includes(`${base}_bucket`)) continue;
      present++;
      for (const suffix of ['_sum', '_count']) expect(names, base + suffix).toContain(base + suffix);
    }
    expect(present).toBeGreaterThanOrEqual(6);
  });

  it('answers PromQL over the scraped histograms (p95 TTFA over the run)', async () => {
    const now = Date.now() / 1000;
    const r = await query('/api/v1/query_range', {
      query: 'histogram_quantile(0.95, sum by (le) (rate(voice_tts_time_to_first_audio_bucket[5s])))',
      start: String(windowStart),
      end: String(now),
      step: '1',
    });
    expect(r.status, r.error).toBe('success');
    const values = r.data.result.flatMap((s) => s.values ?? []).filter(([, v]) => v !== 'NaN');
    expect(values.length).toBeGreaterThan(0);
    for (const [, v] of values) expect(Number(v)).toBeGreaterThan(0);
  });
});
