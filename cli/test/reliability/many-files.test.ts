import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, run, type Result } from '../commands/run.js';

/**
 * Years of daily logs in one folder, read under a small descriptor limit (`ulimit -n`: 256 by
 * default on macOS): every file is read, none skipped with EMFILE. The files were all peeked at
 * once, so past the limit every further file failed to open and was skipped with a warning.
 */
const FILES = 400;
const PER_FILE = 5;
let dir: string;

beforeAll(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'vme-many-')), 'logs');
  mkdirSync(dir);
  for (let f = 0; f < FILES; f++) {
    const day = new Date(Date.UTC(2024, 0, 1 + f));
    const date = day.toISOString().slice(0, 10);
    const lines: string[] = [];
    for (let i = 0; i < PER_FILE; i++) {
      const ts = new Date(day.getTime() + 3_600_000 + i * 1000).toISOString().replace('Z', '000Z');
      const type = ['SESSION_START', 'TTS_START', 'TTS_FIRST_AUDIO', 'TTS_PLAYBACK_END', 'SESSION_END'][i]!;
      lines.push(JSON.stringify({ timestamp: ts, event_type: type, session_id: `s${f}`, data: { provider: 'kokoro' } }));
    }
    writeFileSync(join(dir, `voicemode_events_${date}.jsonl`), `${lines.join('\n')}\n`);
  }
});

/** The CLI with `ulimit -n` lowered to `fds` (a shell builtin: the child inherits it). */
function cliLimited(fds: number, args: string[]): Promise<Result> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  return run('sh', ['-c', `ulimit -n ${fds} && exec ${quoted}`]);
}

describe(`a folder of ${FILES} daily files under ulimit -n 128`, () => {
  it('summary (parse workers) reads every file', async () => {
    const r = await cliLimited(128, ['summary', '--json', '--strict', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.stdout) as { files: number; events: number; sessions: number; unreadable_files: number };
    expect(s).toMatchObject({ files: FILES, events: FILES * PER_FILE, sessions: FILES, unreadable_files: 0 });
  }, 60_000);

  it('query (the in-thread reader) reads every file', async () => {
    const r = await cliLimited(128, ['query', '--type', 'TTS_FIRST_AUDIO', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(FILES);
  }, 60_000);
});
