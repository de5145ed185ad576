import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.js';
import { cli } from './run.js';

/** Issue 16, item 17: `demo` pointed at a file says so (it said `cannot use ...: EEXIST`). */
describe('demo with a file as its log folder', () => {
  const file = (): string => {
    const f = join(tempDir(), 'notes.txt');
    writeFileSync(f, 'mine\n');
    return f;
  };
  const args = ['demo', '--sessions', '1', '--turns', '1', '--speed', '1000'];

  it.each([
    ['--dir names a file', (f: string) => ({ argv: ['--dir', f], env: {}, prefix: '', named: f, source: '--dir' })],
    ['--dir is under a file', (f: string) => ({ argv: ['--dir', join(f, 'logs')], env: {}, prefix: `cannot use ${join(f, 'logs')}: `, named: f, source: '--dir' })],
    ['VOICEMODE_EVENT_LOG_DIR names a file', (f: string) => ({ argv: [], env: { VOICEMODE_EVENT_LOG_DIR: f }, prefix: '', named: f, source: 'VOICEMODE_EVENT_LOG_DIR' })],
  ])('%s: one warning "is a file, not a folder", the demo runs on without files, exit 0', async (_name, make) => {
    const f = file();
    const c = make(f);
    const r = await cli([...args, ...c.argv], c.env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `voicemode-events: warning: ${c.prefix}${c.named} is a file, not a folder (${c.source} names the folder for the event logs); the demo continues without writing JSONL files\n`,
    );
    expect(r.stdout).toContain('ttfa');
    expect(readFileSync(f, 'utf8')).toBe('mine\n');
  });
});
