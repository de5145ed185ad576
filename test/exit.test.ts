import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLines, tempDir } from './helpers/harness.js';

const dist = resolve('dist');
const child = resolve('test/fixtures/exit-child.mjs');

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  logged: number;
  lines: Record<string, unknown>[];
  stderr: string;
}

function run(mode: string, signal?: NodeJS.Signals): Promise<Outcome> {
  const dir = join(tempDir(), 'logs');
  const p = spawn(process.execPath, [child, dist, dir, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let stderr = '';
  let logged = -1;
  p.stderr.on('data', (d: Buffer) => (stderr += d));
  p.stdout.on('data', (d: Buffer) => {
    out += d;
    const m = /ready (\d+)/.exec(out);
    if (m && logged < 0) {
      logged = Number(m[1]);
      if (signal) p.kill(signal);
    }
  });
  return new Promise((resolvePromise) =>
    p.on('close', (code, sig) => resolvePromise({ code, signal: sig, logged, lines: existsSync(dir) ? readLines(dir) : [], stderr })),
  );
}

function expectComplete(o: Outcome, mode: string): void {
  expect(o.logged).toBeGreaterThan(200);
  const mine = o.lines.filter((l) => l.session_id === `exit-${mode}`);
  // everything logged before the stop, then SESSION_END with reason "shutdown" as the last line
  expect(mine).toHaveLength(o.logged + 1);
  expect(mine.at(-1)).toMatchObject({ event_type: 'SESSION_END', data: { reason: 'shutdown' } });
  expect(mine.filter((l) => l.event_type === 'TTS_START')).toHaveLength(1);
  expect(o.stderr).toBe('');
}

describe.skipIf(!existsSync(join(dist, 'sdk/index.js')))('process end (runs the built package in a child process)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s mid-session: complete file ending in SESSION_END, and the process still dies of the signal', async (sig) => {
    const o = await run('signal', sig);
    expectComplete(o, 'signal');
    expect(o.signal).toBe(sig);
  });

  it('an app with its own SIGTERM handler keeps its behaviour (exit code 7) and the file is complete', async () => {
    const o = await run('app-handler', 'SIGTERM');
    expectComplete(o, 'app-handler');
    expect(o.code).toBe(7);
  });

  it('process.exit(3) mid-session: the exit hook writes everything synchronously, exit code kept', async () => {
    const o = await run('exit-call');
    expectComplete(o, 'exit-call');
    expect(o.code).toBe(3);
  });

  it('a script that ends with a session open: the session is closed and written', async () => {
    const o = await run('natural-end');
    expectComplete(o, 'natural-end');
    expect(o.code).toBe(0);
  });
});
