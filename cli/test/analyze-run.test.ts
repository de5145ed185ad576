import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * analyzeInputs starts the parse workers as soon as discovery found files, before the analysis
 * is loaded and the read begins (issue 14, round 6). Checked in real Node processes: the read
 * takes the workers started ahead (no second thread), and a failure between their start and the
 * read leaves no thread behind (one would keep the process alive: it would never exit).
 */
const MODULE = fileURLToPath(new URL('../dist/analyze-run.js', import.meta.url));

function logFolder(lines: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'vme-analyze-run-'));
  const text = Array.from({ length: lines }, (_, i) =>
    JSON.stringify({ timestamp: `2026-01-05T09:00:00.${String(i).padStart(6, '0')}Z`, event_type: i === 0 ? 'SESSION_START' : 'TTS_START', session_id: 's1', data: { provider: 'p' } }),
  ).join('\n');
  writeFileSync(join(dir, 'voicemode_events_2026-01-05.jsonl'), `${text}\n`);
  return dir;
}

/**
 * A preload (`--require`, main thread only: worker threads inherit it) that counts the worker
 * threads the process creates and prints the count at exit, and makes the `fail`-th and later
 * constructions throw as a thread limit does (`EAGAIN`); `cores` fakes a machine with that many
 * idle cores (so the reader picks two parse workers on the 2-core CI machines too).
 */
function preload(opts: { fail?: number; cores?: number } = {}): string {
  const file = join(mkdtempSync(join(tmpdir(), 'vme-analyze-run-preload-')), 'workers.cjs');
  writeFileSync(
    file,
    `const wt = require('node:worker_threads');
if (wt.isMainThread) {
  const os = require('node:os');
  ${opts.cores !== undefined ? `os.availableParallelism = () => ${opts.cores}; os.loadavg = () => [0, 0, 0];` : ''}
  const W = wt.Worker;
  let n = 0, tries = 0;
  wt.Worker = class extends W {
    constructor(...a) {
      if (++tries >= ${opts.fail ?? 'Infinity'}) throw Object.assign(new Error('EAGAIN'), { code: 'ERR_WORKER_INIT_FAILED' });
      super(...a);
      n++;
    }
  };
  require('node:module').syncBuiltinESMExports();
  process.on('exit', () => process.stderr.write('WORKERS ' + n + '\\n'));
}
`,
  );
  return file;
}

function run(script: string, dir: string, pre = preload()): { status: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null; workers: number } {
  // a script file, not \`--input-type=module -e\`: worker threads inherit the flags, and that one fails their start
  const file = join(mkdtempSync(join(tmpdir(), 'vme-analyze-run-script-')), 'run.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, ['--require', pre, file, dir], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal, workers: workersIn(r.stderr) };
}

/** The worker threads the preload counted (NaN: it did not report, e.g. a process killed). */
function workersIn(stderr: string): number {
  const m = /^WORKERS (\d+)$/m.exec(stderr);
  return m ? Number(m[1]) : Number.NaN;
}

describe('analyzeInputs and its parse workers', () => {
  it('reads with the workers started ahead: a small file starts one thread in all', () => {
    const r = run(
      `const { analyzeInputs } = await import(${JSON.stringify(MODULE)});
const out = await analyzeInputs([process.argv[2]], { json: true }, {}, {});
console.log(JSON.stringify({ workers: out.stats.parseWorkers, events: out.analysis.events }));`,
      logFolder(50),
    );
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ workers: 1, events: 50 });
    // threads the process created: the prestarted one is the one the read used (a read with a
    // pool of its own would start a second)
    expect(r.workers).toBe(1);
  });

  it('leaves no worker running when it fails after starting them and before the read', () => {
    // a getter of the analysis options throws when analyzeInputs copies them: after the workers'
    // start, before readEvents (which closes its pool itself)
    const r = run(
      `const { analyzeInputs } = await import(${JSON.stringify(MODULE)});
const aopts = { get by() { throw new Error('boom'); } };
try {
  await analyzeInputs([process.argv[2]], { json: true }, {}, aopts);
  console.log('no failure');
} catch (err) {
  console.log('failed: ' + err.message);
}`,
      logFolder(50),
    );
    expect(r.signal, 'the process did not end by itself: a worker thread kept it alive').toBeNull();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('failed: boom');
  });

  it('a thread limit at the early start leaves no thread behind and is reported per file, as without it', () => {
    // two parse workers for a 1.5 MiB file (faked idle cores); the second thread cannot be created
    const dir = mkdtempSync(join(tmpdir(), 'vme-analyze-run-big-'));
    const line = (i: number) =>
      JSON.stringify({ timestamp: `2026-01-05T09:00:00.${String(i % 1e6).padStart(6, '0')}Z`, event_type: 'TTS_START', session_id: `s${i % 7}`, data: { provider: 'p', pad: 'x'.repeat(120) } });
    const lines: string[] = [];
    for (let i = 0; i < 9000; i++) lines.push(line(i));
    writeFileSync(join(dir, 'voicemode_events_2026-01-05.jsonl'), `${lines.join('\n')}\n`);
    const script = `const { analyzeInputs } = await import(${JSON.stringify(MODULE)});
const out = await analyzeInputs([process.argv[2]], { json: true }, {}, {});
console.log(JSON.stringify({ events: out.analysis.events, unreadable: out.stats.unreadableFiles }));`;
    const both = run(script, dir, preload({ cores: 8 }));
    expect(both.status, both.stderr).toBe(0);
    expect(both.workers, 'the faked cores give two parse workers').toBe(2);
    expect(JSON.parse(both.stdout)).toEqual({ events: 9000, unreadable: 0 });

    const limited = run(script, dir, preload({ cores: 8, fail: 2 }));
    expect(limited.signal, 'the process did not end by itself: a worker thread kept it alive').toBeNull();
    expect(limited.status, limited.stderr).toBe(0);
    expect(limited.workers).toBe(1);
    // the read meets the limit for its file and says so (the file is skipped, the run goes on)
    expect(limited.stderr).toMatch(/EAGAIN/);
    expect(JSON.parse(limited.stdout).unreadable).toBe(1);
  });
});
