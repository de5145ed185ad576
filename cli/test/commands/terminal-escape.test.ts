import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { escapeControl, escapeJsonText } from '../../src/terminal-text.js';
import { tempDir } from '../../../test/helpers/harness.js';
import { cli, spawnCli } from './run.js';

/** Issue 16, item 5: log content never reaches the terminal with raw control characters. */
const EVIL = '\u001b]0;pwned\u0007\u001b[2J\r\u0085\u009b31m\u007f';
// any C0 but the layout's newline, DEL, C1
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function evilLog(): string {
  const dir = tempDir();
  const sid = `conv_${EVIL}`;
  const lines = [
    { timestamp: '2025-06-23T10:00:00.000000Z', event_type: 'SESSION_START', session_id: sid, data: { note: EVIL } },
    { timestamp: '2025-06-23T10:00:01.000000Z', event_type: 'TTS_START', session_id: sid, data: { provider: `open${EVIL}ai`, message: EVIL } },
    { timestamp: '2025-06-23T10:00:01.400000Z', event_type: 'TTS_FIRST_AUDIO', session_id: sid, data: {} },
    { timestamp: '2025-06-23T10:00:02.000000Z', event_type: `X_${EVIL}`, session_id: sid, data: { [`k${EVIL}`]: 1 } },
    { timestamp: '2025-06-23T10:00:03.000000Z', event_type: 'SESSION_END', session_id: sid, data: {} },
  ];
  const path = join(dir, 'voicemode_events_2025-06-23.jsonl');
  writeFileSync(path, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  return dir;
}

describe('control characters from log content', () => {
  it('escapeControl makes every one visible and keeps the rest', () => {
    expect(escapeControl(`a${EVIL}b\n`)).toBe('a\\e]0;pwned\\x07\\e[2J\\r\\x85\\x9b31m\\x7fb\\n');
    expect(escapeControl('plain ü € 😀')).toBe('plain ü € 😀');
    const json = JSON.stringify({ t: EVIL });
    expect(JSON.parse(escapeJsonText(json))).toEqual({ t: EVIL }); // still the same JSON value
    expect(escapeJsonText(json)).not.toMatch(RAW_CONTROL);
  });

  it.each([
    ['summary', ['summary', '--by', 'provider']],
    ['summary --json', ['summary', '--json', '--by', 'provider']],
    ['summary --anomalies', ['summary', '--anomalies']],
    ['timeline', ['timeline', '--session', `conv_${EVIL}`]],
    ['timeline --json', ['timeline', '--json', '--session', `conv_${EVIL}`]],
    ['anomalies', ['anomalies']],
    ['query', ['query']],
  ])('%s prints none raw', async (_name, args) => {
    const r = await cli([...args, evilLog()]);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stderr).not.toMatch(RAW_CONTROL);
  });

  it.each([[[] as string[]], [['--json']]])('tail %j prints none raw', async (extra) => {
    const child = spawnCli(['tail', evilLog(), '--lines', '10', '--interval', '20', ...extra]);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const end = Date.now() + 5000;
      while (!/SESSION_END/.test(out) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(out).toMatch(/SESSION_END/);
      expect(out).toContain(extra.length ? '\\u001b]0;pwned' : '\\e]0;pwned');
      expect(out).not.toMatch(RAW_CONTROL);
    } finally {
      child.kill();
    }
  });
});
