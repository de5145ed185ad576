import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLogEnv, readOtelEnv, readPrometheusEnv } from '../src/environment.js';

/** Environment variables are read in one module per package (#15 item 4). */
const OWNERS = new Set(['src/environment.ts', 'cli/src/environment.ts']);

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Code without its comments (a comment may mention process.env). */
function code(file: string): string {
  return readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/^\s*\/\/.*$/gm, '');
}

describe('environment variables: read in one place', () => {
  it('no module but src/environment.ts and cli/src/environment.ts reads process.env or names a variable', () => {
    const offenders: string[] = [];
    for (const file of [...sources('src'), ...sources('cli/src')]) {
      if (OWNERS.has(file)) continue;
      const text = code(file);
      if (/process\.env\b/.test(text)) offenders.push(`${file}: process.env`);
      const named = text.match(/\benv(\.[A-Z][A-Z0-9_]{2,}|\[)/);
      if (named) offenders.push(`${file}: ${named[0]}`);
    }
    expect(offenders).toEqual([]);
  });

  it('every variable src/environment.ts reads is in its table', () => {
    const text = readFileSync('src/environment.ts', 'utf8');
    const table = text.slice(0, text.indexOf('*/'));
    const read = new Set([...code('src/environment.ts').matchAll(/\benv\.([A-Z][A-Z0-9_]+)|'((?:VOICEMODE|OTEL)_[A-Z0-9_]+)'/g)].map((m) => m[1] ?? m[2]!));
    expect(read.size).toBeGreaterThan(8);
    const missing = [...read].filter((name) => !table.includes(name));
    expect(missing).toEqual([]);
  });

  it('parses each area; bad values warn and count as unset', () => {
    const warnings: string[] = [];
    const warn = (m: string) => void warnings.push(m);
    expect(readLogEnv({ VOICEMODE_EVENT_LOG_DIR: ' /x ', VOICEMODE_EVENT_LOG_ENABLED: 'no', VOICEMODE_EVENT_LOG_ROTATION: 'HOURLY', VOICEMODE_EVENT_LOG_REDACT: 'text' }, warn)).toEqual({
      dir: '/x',
      enabled: false,
      rotation: 'hourly',
      redact: 'text',
    });
    expect(readLogEnv({ VOICEMODE_EVENT_LOG_ENABLED: 'maybe', VOICEMODE_EVENT_LOG_ROTATION: 'weekly', VOICEMODE_EVENT_LOG_COMPRESS_AFTER_DAYS: '0' }, warn)).toEqual({});
    expect(warnings).toHaveLength(3);
    const otel = readOtelEnv({ OTEL_SDK_DISABLED: ' TRUE ', OTEL_SERVICE_NAME: 'app', OTEL_BSP_MAX_QUEUE_SIZE: '-3', OTEL_METRIC_EXPORT_INTERVAL: '1.5', OTEL_EXPORTER_OTLP_HEADERS: '__proto__=x,a=b' });
    expect(otel.sdkDisabled).toBe(true);
    expect(otel.serviceName).toBe('app');
    expect(otel.bspMaxQueueSize).toBeUndefined();
    expect(otel.metricExportIntervalMs).toBeUndefined();
    expect(Object.getPrototypeOf(otel.otlp.headers)).toBeNull(); // keys from the environment never reach Object.prototype
    expect({ ...otel.otlp.headers }).toEqual({ ['__proto__']: 'x', a: 'b' });
    expect(readPrometheusEnv({ VOICEMODE_PROMETHEUS_PORT: '70000' }, warn)).toEqual({});
    expect(warnings.at(-1)).toContain('VOICEMODE_PROMETHEUS_PORT');
  });
});
