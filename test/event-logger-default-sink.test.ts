import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/harness.js';

/** A fresh process per case: whether a provider is registered is process-wide state. */
function runChild(mode: 'bare' | 'telemetry' | 'exit' | 'sigterm-both' | 'redact' | 'sampled-out') {
  const dir = tempDir('vme-evlogger-');
  const env = { ...process.env, VOICEMODE_EVENT_LOG_DIR: dir, OTEL_EXPORTER_OTLP_ENDPOINT: undefined };
  const p = spawnSync(process.execPath, [resolve('test/fixtures/event-logger-child.mjs'), resolve('dist'), dir, mode], {
    encoding: 'utf8',
    env,
    timeout: 20_000,
    killSignal: 'SIGKILL', // a child that ignores SIGTERM (the bug this file tests for) must not hang the test
  });
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl'));
  const lines = files.flatMap((f) => readFileSync(join(dir, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)));
  return { p, dir, lines };
}

describe('new EventLogger() writes the JSONL files with or without a provider (#15)', () => {
  it.each(['bare', 'exit'] as const)('no provider registered (%s): starts the default sink, says so once, loses nothing', (mode) => {
    const { p, dir, lines } = runChild(mode);
    expect(p.status, p.stderr).toBe(0);
    const notices = p.stderr.split('\n').filter((l) => l.includes('no OpenTelemetry tracer provider is registered'));
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(dir);
    expect(lines.map((l) => l.event_type)).toEqual([
      'SESSION_START',
      'RECORDING_START',
      'RECORDING_END',
      'TTS_START',
      'TOOL_REQUEST_START',
      'TTS_FIRST_AUDIO',
      'SESSION_END',
    ]);
    const tool = lines.find((l) => l.event_type === 'TOOL_REQUEST_START');
    expect(tool.session_id).toBeNull();
    expect(lines.filter((l) => l.session_id === 'conv_child')).toHaveLength(6);
    // no-op spans have no ids worth writing
    for (const l of lines) expect(l.trace_id).toBeUndefined();
    const metrics = JSON.parse(p.stdout.trim());
    expect(metrics.ttfa).toBeGreaterThan(0.004);
  });

  it('with startTelemetry() first: uses that provider, no notice, every event once with trace ids', () => {
    const { p, lines } = runChild('telemetry');
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).not.toContain('no OpenTelemetry tracer provider');
    const types = lines.map((l) => l.event_type);
    expect(types.filter((t) => t === 'TTS_FIRST_AUDIO')).toHaveLength(1);
    expect(types).toHaveLength(7);
    const inSession = lines.filter((l) => l.session_id === 'conv_child');
    for (const l of inSession) expect(l.trace_id).toMatch(/^[0-9a-f]{32}$/);
  });

  it('EventLogger before startTelemetry(): SIGTERM still ends the app, after both flushed (two hook sets of ours, no app listener)', () => {
    const { p, lines } = runChild('sigterm-both');
    expect(p.signal, p.stderr).toBe('SIGTERM');
    const types = lines.map((l) => l.event_type);
    // the logger's session began on a no-op span (default sink); nothing is lost or doubled
    expect(types.filter((t) => t === 'TTS_FIRST_AUDIO')).toHaveLength(1);
    expect(types).toContain('SESSION_END');
  });

  it('defaultSink options apply to what is logged: redact "text" hides the transcript', () => {
    const { p, lines } = runChild('redact');
    expect(p.status, p.stderr).toBe(0);
    const stt = lines.find((l) => l.event_type === 'STT_COMPLETE');
    expect(JSON.stringify(stt.data)).not.toContain('my secret transcript');
  });

  it("a provider registered after the logger: its sampler's decision holds (sampled-out events are not written)", () => {
    const { p, lines } = runChild('sampled-out');
    expect(p.status, p.stderr).toBe(0);
    expect(lines.filter((l) => l.data?.provider === 'dropped')).toEqual([]);
  });
});
