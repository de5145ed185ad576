import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../commands/run.js';

/** voicemode writes ttfa_ms: 0 when it measured nothing; most lines have no metrics at all. */
let file: string;
beforeAll(() => {
  const l = (s: number, type: string, data: object): string =>
    JSON.stringify({ timestamp: `2026-11-30T10:00:0${s}+00:00`, event_type: type, session_id: 'conv_1', data });
  file = join(mkdtempSync(join(tmpdir(), 'vme-where-')), 'voicemode_events_2026-11-30.jsonl');
  writeFileSync(
    file,
    [
      l(1, 'TTS_START', { provider: 'openai' }),
      l(2, 'TTS_PLAYBACK_END', { metrics: { ttfa_ms: 0 } }),
      l(3, 'TTS_PLAYBACK_END', { metrics: { ttfa_ms: 350.5 } }),
      l(4, 'TTS_PLAYBACK_END', { metrics: null }),
      l(5, 'STT_COMPLETE', { text: 'hi' }),
      l(6, 'STT_COMPLETE', { text: null }),
    ].join('\n') + '\n',
  );
});

const types = (stdout: string): string[] => stdout.trim().split('\n').filter(Boolean).map((x) => (JSON.parse(x) as { timestamp: string }).timestamp.slice(17, 19));

describe('query --where: a line without the key matches no condition on it', () => {
  it.each([
    ['data.metrics.ttfa_ms!=0', ['03']], // not the lines without metrics, nor the one with metrics null
    ['data.metrics.ttfa_ms=0', ['02']],
    ['data.metrics!=null', ['02', '03']],
    ['data.metrics=null', ['04']],
    ['data.text!=hi', ['06']], // null is a value: the key is there
    ['data.provider!=anthropic', ['01']],
  ])('%s', async (cond, want) => {
    const r = await cli(['query', file, '--where', cond]);
    expect(r.code).toBe(0);
    expect(types(r.stdout)).toEqual(want);
    expect(r.stderr).toBe('');
  });

  it('a path that does not start at a top-level key says so on stderr, and what was meant', async () => {
    const r = await cli(['query', file, '--where', 'provider=openai']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('top-level keys are timestamp/event_type/session_id/turn/trace_id/span_id');
    expect(r.stderr).toContain('data.provider');
  });
});
