import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileNameFor, resolveConfig } from './helpers/lib.js';

function resolveWith(env: Record<string, string>, options = {}) {
  const warnings: string[] = [];
  const config = resolveConfig(options, env, (m) => warnings.push(m));
  return { config, warnings };
}

describe('configuration from the environment (names as the spec gives them)', () => {
  it('a variable an option overrides is not read, so it does not warn; nor do variables of features not in use', () => {
    const bad = { VOICEMODE_EVENT_LOG_ROTATION: 'weekly', VOICEMODE_EVENT_LOG_ENABLED: 'maybe', VOICEMODE_EVENT_LOG_REDACT: 'some', VOICEMODE_EVENT_LOG_RETENTION_DAYS: 'week' };
    expect(resolveWith(bad, { rotation: 'hourly', enabled: true, redact: 'all' }).warnings).toEqual([]);
    const { warnings } = resolveWith(bad);
    expect(warnings).toHaveLength(3); // rotation, enabled, redact: retention is startTelemetry's, read there
    expect(warnings.find((w) => w.includes('ENABLED'))).toContain('(true)');
  });

  it('defaults: ~/voicemode_logs, enabled, daily', () => {
    const { config, warnings } = resolveWith({});
    expect(config).toEqual({ dir: join(homedir(), 'voicemode_logs'), enabled: true, rotation: 'daily', flushIntervalMs: 200, redact: 'none' });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['yes', true],
    [' Yes ', true],
    ['false', false],
    ['0', false],
    ['no', false],
    ['NO', false],
  ])('VOICEMODE_EVENT_LOG_ENABLED=%j -> %s', (raw, expected) => {
    const { config, warnings } = resolveWith({ VOICEMODE_EVENT_LOG_ENABLED: raw });
    expect(config.enabled).toBe(expected);
    expect(warnings).toEqual([]);
  });

  it.each(['maybe', 'on', '2'])('VOICEMODE_EVENT_LOG_ENABLED=%j warns and keeps the default', (raw) => {
    const { config, warnings } = resolveWith({ VOICEMODE_EVENT_LOG_ENABLED: raw });
    expect(config.enabled).toBe(true);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('VOICEMODE_EVENT_LOG_ENABLED');
    expect(warnings[0]).toContain(raw);
  });

  it.each(['daily', 'hourly', 'none', 'HOURLY'])('VOICEMODE_EVENT_LOG_ROTATION=%s', (raw) => {
    expect(resolveWith({ VOICEMODE_EVENT_LOG_ROTATION: raw }).config.rotation).toBe(raw.toLowerCase());
  });

  it('an unknown rotation warns and falls back to daily', () => {
    const { config, warnings } = resolveWith({ VOICEMODE_EVENT_LOG_ROTATION: 'weekly' });
    expect(config.rotation).toBe('daily');
    expect(warnings[0]).toContain('weekly');
  });

  it('VOICEMODE_EVENT_LOG_DIR, with ~ expanded and relative paths made absolute', () => {
    expect(resolveWith({ VOICEMODE_EVENT_LOG_DIR: '~/x/y' }).config.dir).toBe(join(homedir(), 'x/y'));
    expect(resolveWith({ VOICEMODE_EVENT_LOG_DIR: 'rel' }).config.dir).toBe(join(process.cwd(), 'rel'));
  });

  it('options in code override the environment', () => {
    const { config } = resolveWith(
      { VOICEMODE_EVENT_LOG_DIR: '/env', VOICEMODE_EVENT_LOG_ENABLED: 'no', VOICEMODE_EVENT_LOG_ROTATION: 'none', VOICEMODE_EVENT_LOG_REDACT: 'all' },
      { dir: '/code', enabled: true, rotation: 'hourly', flushIntervalMs: 50, redact: 'text' },
    );
    expect(config).toEqual({ dir: '/code', enabled: true, rotation: 'hourly', flushIntervalMs: 50, redact: 'text' });
    expect(resolveWith({ VOICEMODE_EVENT_LOG_REDACT: 'all' }).config.redact).toBe('all');
  });

  it('bad options in code are programming errors (TypeError)', () => {
    expect(() => resolveWith({}, { rotation: 'weekly' })).toThrow(TypeError);
    expect(() => resolveWith({}, { flushIntervalMs: 0 })).toThrow(TypeError);
    expect(() => resolveWith({}, { redact: 'everything' as never })).toThrow(TypeError);
  });
});

describe('file names by UTC date', () => {
  it.each([
    [Date.UTC(2025, 5, 23, 23, 59, 59, 999), 'daily', 'voicemode_events_2025-06-23.jsonl'],
    [Date.UTC(2025, 5, 24, 0, 0, 0, 0), 'daily', 'voicemode_events_2025-06-24.jsonl'],
    [Date.UTC(2025, 5, 23, 9, 59, 59, 999), 'hourly', 'voicemode_events_2025-06-23T09.jsonl'],
    [Date.UTC(2025, 5, 23, 10, 0, 0, 0), 'hourly', 'voicemode_events_2025-06-23T10.jsonl'],
    [Date.UTC(2025, 5, 23, 10, 0, 0, 0), 'none', 'voicemode_events.jsonl'],
  ] as const)('%d (%s) -> %s', (ms, rotation, name) => {
    expect(fileNameFor(ms * 1000, rotation)).toBe(name);
  });
});
