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

function run(script: string, dir: string): { status: number | null; stdout: string; stderr: string; signal: NodeJS.Signals | null } {
  // a script file, not `--input-type=module -e`: worker threads inherit the flags, and that one fails their start
  const file = join(mkdtempSync(join(tmpdir(), 'vme-analyze-run-script-')), 'run.mjs');
  writeFileSync(file, script);
  const r = spawnSync(process.execPath, [file, dir], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, signal: r.signal };
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
});
