/**
 * Where V8's optimising compiler (TurboFan) spends its time in one run, per isolate (the main
 * thread and each parse worker): every compile job per function, how often a function was
 * compiled (a deopt loop: a map it did not expect, a path first taken after optimisation, a
 * field generalised), and why its code was thrown away. A profiling aid, not part of the bench
 * (issue 14, round 4, docs/performance.md):
 *
 *   node bench/jit-stats.mjs [--top N] -- cli/bin/voicemode-events.js summary --json FILE
 *
 * It runs `node --trace-opt --trace-deopt --log-code ARGS` in a temporary folder and joins the
 * trace's function addresses (SharedFunctionInfo) to the per-isolate code logs to tell the
 * isolates apart. "ms" is the compiler's own wall time per job (prepare + execute + finalize):
 * on a loaded machine it counts waiting too, so compare functions within a run, and CPU seconds
 * (bench/thread-cpu.cjs) across builds. For the source position of each deopt add
 * `--trace-deopt-verbose`; for field changes, `--no-sparkplug --trace-generalization` (with
 * Sparkplug frames on the stack that flag aborts Node 20's V8).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const argv = process.argv.slice(2);
const sep = argv.indexOf('--');
if (sep < 0) {
  console.error('usage: node bench/jit-stats.mjs [--top N] -- SCRIPT ARGS...');
  process.exit(2);
}
const opts = argv.slice(0, sep);
const top = opts[0] === '--top' ? Number(opts[1]) : 30;
// the script's path is resolved here: the run happens in the temporary folder (where V8 writes its logs)
const [script, ...rest] = argv.slice(sep + 1);
const dir = mkdtempSync(join(tmpdir(), 'jit-stats-'));
const run = spawnSync(process.execPath, ['--trace-opt', '--trace-deopt', '--log-code', resolve(script), ...rest], { cwd: dir, encoding: 'latin1', maxBuffer: 1 << 30 });
if (run.error || run.status === null) throw new Error(`could not run ${script}: ${run.error?.message ?? `killed by ${run.signal}`}`);
const trace = run.stdout + run.stderr;

// SharedFunctionInfo address -> isolate and source position, from each isolate's code log
const isolateOf = new Map();
const sourceOf = new Map();
for (const f of readdirSync(dir).filter((n) => n.endsWith('-v8.log'))) {
  const log = readFileSync(join(dir, f), 'latin1');
  // the main isolate loads the CLI's main.js; a worker isolate never does
  const name = /\/dist\/main\.js/.test(log) ? 'main' : `worker@${f.split('-')[1]}`;
  for (const line of log.split('\n')) {
    if (!line.startsWith('code-creation,JS')) continue;
    const p = line.split(',');
    const sfi = p[p.length - 2];
    isolateOf.set(sfi, name);
    sourceOf.set(sfi, p.slice(6, p.length - 2).join(','));
  }
}
rmSync(dir, { recursive: true, force: true });

const untag = (a) => `0x${(BigInt(a) & ~1n).toString(16)}`;
const fns = new Map();
const fn = (sfi0, name) => {
  const sfi = untag(sfi0);
  let s = fns.get(sfi);
  if (s === undefined) fns.set(sfi, (s = { name, isolate: isolateOf.get(sfi) ?? '?', source: sourceOf.get(sfi) ?? name, jobs: [], osr: 0, deopts: [] }));
  return s;
};
for (const line of trace.split('\n')) {
  let m = line.match(/^\[completed compiling 0x\w+ <JSFunction (.*?) \(sfi = (0x\w+)\)> \(target TURBOFAN\)( OSR)? - took ([\d.]+), ([\d.]+), ([\d.]+) ms\]/);
  if (m) {
    const s = fn(m[2], m[1]);
    s.jobs.push(Number(m[4]) + Number(m[5]) + Number(m[6]));
    if (m[3]) s.osr++;
    continue;
  }
  m = line.match(/^\[bailout \(kind: ([\w-]+), reason: (.*?)\): begin\. deoptimizing 0x\w+ <JSFunction (.*?) \(sfi = (0x\w+)\)>.*bytecode offset (\d+)/);
  if (m) {
    fn(m[4], m[3]).deopts.push(`${m[2]} @${m[5]}`);
    continue;
  }
  m = line.match(/^\[marking dependent code .*?\((0x\w+) <SharedFunctionInfo (.*?)>\).*reason: (.*)\]/);
  if (m) fn(m[1], m[2]).deopts.push(m[3]);
}

const all = [...fns.values()].filter((s) => s.jobs.length > 0);
const sum = (a) => a.reduce((x, y) => x + y, 0);
const byIsolate = new Map();
for (const s of all) {
  const b = byIsolate.get(s.isolate) ?? { functions: 0, jobs: 0, ms: 0, recompiled: 0, extraJobs: 0 };
  b.functions++;
  b.jobs += s.jobs.length;
  b.ms += sum(s.jobs);
  if (s.jobs.length > 1) {
    b.recompiled++;
    b.extraJobs += s.jobs.length - 1;
  }
  byIsolate.set(s.isolate, b);
}
console.log('isolate      functions  jobs  compiler ms  compiled again  extra jobs');
for (const [k, b] of byIsolate) console.log(`${k.padEnd(12)} ${String(b.functions).padStart(9)} ${String(b.jobs).padStart(5)} ${b.ms.toFixed(0).padStart(12)} ${String(b.recompiled).padStart(15)} ${String(b.extraJobs).padStart(11)}`);
console.log(`\nfunctions by compiler time (top ${top}): isolate, ms, jobs (OSR), each job's ms, source; why code was thrown away`);
for (const s of all.sort((a, b) => sum(b.jobs) - sum(a.jobs)).slice(0, top)) {
  console.log(`${s.isolate.padEnd(12)} ${sum(s.jobs).toFixed(1).padStart(7)} ${String(s.jobs.length).padStart(2)}${s.osr ? ` (${s.osr})` : '    '} [${s.jobs.map((j) => j.toFixed(1)).join(' ')}] ${s.source}`);
  if (s.deopts.length > 0) console.log(`${' '.repeat(16)}${[...new Set(s.deopts)].join('; ')}`);
}
if (run.status !== 0) console.error(`(the run exited with ${run.status})`);
