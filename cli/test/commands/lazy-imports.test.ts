import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `summary` on a folder without logs must not load the analysis (issue 14 item 6: <= 100 ms):
 * one static import of a helper from the analyzer had pulled in its whole graph (the analysis,
 * the sample store, d3-array), 102-104 → 87-88 ms once moved out. Checked with a module-load hook
 * in the real CLI process: which of our modules it loads.
 */
const BIN = fileURLToPath(new URL('../../bin/voicemode-events.js', import.meta.url));

/** Our modules the CLI process loaded (its worker threads' too), and the worker threads it created. */
function modulesLoaded(args: string[]): string[] & { workers: number } {
  const dir = mkdtempSync(join(tmpdir(), 'vme-imports-'));
  const hooks = join(dir, 'hooks.mjs');
  writeFileSync(hooks, `export async function load(url, context, next) { process._rawDebug('loaded ' + url); return next(url, context); }\n`);
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  // a worker terminated before it loads a module is invisible to the hook: its constructions are counted
  const count = join(dir, 'count-workers.cjs');
  writeFileSync(
    count,
    `const wt = require('node:worker_threads');
if (wt.isMainThread) {
  const W = wt.Worker;
  let n = 0;
  wt.Worker = class extends W { constructor(...a) { super(...a); n++; } };
  require('node:module').syncBuiltinESMExports();
  process.on('exit', () => process._rawDebug('workers ' + n));
}
`,
  );
  const r = spawnSync(process.execPath, ['--require', count, '--import', pathToFileURL(register).href, BIN, ...args], { encoding: 'utf8', cwd: dir, timeout: 30_000 });
  expect(r.status, r.stderr).not.toBeNull();
  const loaded = [...r.stderr.matchAll(/^loaded (.*)$/gm)].map((m) => m[1]!);
  const workers = /^workers (\d+)$/m.exec(r.stderr);
  expect(workers, 'the worker count was printed').not.toBeNull();
  return Object.assign(loaded, { workers: Number(workers![1]) });
}

describe('lazy imports', () => {
  it('summary on a folder without logs loads the command, not the analysis', () => {
    const empty = mkdtempSync(join(tmpdir(), 'vme-empty-'));
    const loaded = modulesLoaded(['summary', empty]);
    // the hook saw the command's own modules (the check below means something)
    expect(loaded.some((u) => u.endsWith('/commands/summary.js'))).toBe(true);
    expect(loaded.some((u) => u.endsWith('/analyze-run.js'))).toBe(true);
    // nor start a parse worker (issue 14, round 6: they start as soon as there are files to read)
    for (const heavy of ['/analysis/analyzer.js', '/analysis/sample-store.js', '/d3-array/', '/reader/read-events.js', '/reader/parse-worker.js']) {
      expect(loaded.filter((u) => u.includes(heavy)), heavy).toEqual([]);
    }
    expect(loaded.workers, 'worker threads created').toBe(0);
  });

  it('summary on a log does load the analysis (the hook sees lazy imports too)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-one-'));
    writeFileSync(
      join(dir, 'voicemode_events_2026-01-05.jsonl'),
      `${JSON.stringify({ timestamp: '2026-01-05T09:00:00.000001Z', event_type: 'SESSION_START', session_id: 's1', data: {} })}\n`,
    );
    const loaded = modulesLoaded(['summary', dir]);
    expect(loaded.some((u) => u.endsWith('/analysis/analyzer.js'))).toBe(true);
    expect(loaded.some((u) => u.endsWith('/reader/parse-worker.js'))).toBe(true); // worker threads' loads are seen too
    expect(loaded.workers, 'the counter sees the parse worker').toBe(1);
  });

  it('a log given on the command line: its parse worker starts before the command loads, and is the one the read uses', () => {
    const dir = logFolder();
    const loaded = modulesLoaded(['summary', '--json', dir]);
    const worker = loaded.findIndex((u) => u.endsWith('/reader/parse-worker.js'));
    const command = loaded.findIndex((u) => u.endsWith('/commands/summary.js'));
    expect(worker, 'the worker loaded its module').toBeGreaterThanOrEqual(0);
    expect(command).toBeGreaterThanOrEqual(0);
    // started by early-start.js: its module is asked for before the command's (the load hook sees both in order)
    const early = loaded.findIndex((u) => u.endsWith('/reader/early-parse-worker.js'));
    expect(early, 'early-parse-worker.js loaded').toBeGreaterThanOrEqual(0);
    expect(early).toBeLessThan(command);
    expect(loaded.workers, 'one thread: the early one was read with, not a second').toBe(1);
  });

  it('a command that stops before reading does not wait for the worker started early', () => {
    const dir = logFolder();
    // an invalid option value: a usage error after the early start, before any read
    const r = spawnSync(process.execPath, [BIN, 'summary', '--by', 'nonsense', dir], { encoding: 'utf8', timeout: 20_000 });
    expect(r.signal, 'the process did not end by itself: the early worker kept it alive').toBeNull();
    expect(r.status).toBe(2);
    expect(modulesLoaded(['summary', '--by', 'nonsense', dir]).workers, 'it had started').toBe(1);
  });

  it('help, other commands and folders without logs start no worker early', () => {
    const dir = logFolder();
    expect(modulesLoaded(['summary', '--help', dir]).workers).toBe(0);
    expect(modulesLoaded(['help', 'summary', dir]).workers).toBe(0);
    expect(modulesLoaded(['timeline', '--session', 's1', dir]).workers).toBe(0);
    const other = mkdtempSync(join(tmpdir(), 'vme-no-logs-'));
    writeFileSync(join(other, 'notes.txt'), 'not a log\n');
    expect(modulesLoaded(['summary', other]).workers).toBe(0);
  });
});

function logFolder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vme-early-'));
  writeFileSync(
    join(dir, 'voicemode_events_2026-01-05.jsonl'),
    `${JSON.stringify({ timestamp: '2026-01-05T09:00:00.000001Z', event_type: 'SESSION_START', session_id: 's1', data: {} })}\n`,
  );
  return dir;
}
