import { describe, expect, it } from 'vitest';
import { startProgress } from '../../src/progress.js';
import { tempDir } from '../../../test/helpers/harness.js';
import { cli } from './run.js';

/** Issue 16, item 18 (demo part): progress on stderr while it runs; the announced turns match the table. */
function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = { isTTY, text: '', write: (t: string) => ((s.text += t), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('progress', () => {
  it('redraws one line on a terminal and erases it at the end', async () => {
    const tty = fakeStream(true);
    let n = 0;
    const stop = startProgress((s) => `step ${++n} at ${s} s`, tty, 20);
    await new Promise((r) => setTimeout(r, 90));
    stop();
    expect(tty.text).toMatch(/^\r\x1b\[2Kstep 1 at 0 s\r\x1b\[2Kstep 2/);
    expect(tty.text.endsWith('\r\x1b[2K')).toBe(true);
    expect(tty.text).not.toContain('\n');
  });

  it('writes nothing to a pipe or a file', async () => {
    const pipe = fakeStream(false);
    const stop = startProgress(() => 'x', pipe, 10);
    await new Promise((r) => setTimeout(r, 50));
    stop();
    expect(pipe.text).toBe('');
  });
});

describe('demo announcement', () => {
  it('announces the turns the table shows (a greeting and N user turns)', async () => {
    const r = await cli(['demo', '--dir', tempDir(), '--sessions', '2', '--turns', '3', '--speed', '200', '--error-rate', '0', '--no-speech-rate', '0']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/a greeting and 3 user turn\(s\) each/);
    const turns = [...r.stdout.matchAll(/│ conv_\S+\s+│ (\d+)\s+│/g)].map((m) => Number(m[1]));
    expect(turns).toEqual([4, 4]);
    expect(r.stderr).toBe(''); // not a terminal: no progress lines
  });
});
