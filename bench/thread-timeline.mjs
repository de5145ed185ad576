#!/usr/bin/env node
/**
 * A timeline of one Node process (Linux), per thread, in buckets of wall time from the process's
 * start: CPU of the main thread, of each worker thread and of V8's / libuv's other threads, the
 * time each isolate spent in GC, and the process's RSS. A profiling aid, not part of the bench
 * (issue 14, round 6: where `summary`'s start-up waits):
 *
 *   node bench/thread-timeline.mjs [--bucket 50] [--every 20] -- cli/bin/voicemode-events.js summary --json FILE
 *
 * The command runs in a child process with a `--require`d preload (bench/thread-timeline-preload.cjs)
 * that writes, per isolate, its thread id, when its preload ran, and its GC pauses to a marks file;
 * this process polls /proc/PID/task/TID/schedstat (time on a CPU, and time runnable while waiting
 * for one: "no-CPU", the main thread's and the workers' summed) and /proc/PID/status (VmRSS) every
 * `--every` ms. `--cpu-prof` shows what each isolate's JavaScript does; this shows when each thread
 * waits for another. Times are CLOCK_MONOTONIC (process.hrtime) in both processes.
 */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
let bucketMs = 50;
let everyMs = 20;
while (argv.length > 0 && argv[0] !== '--') {
  const a = argv.shift();
  if (a === '--bucket') bucketMs = Number(argv.shift());
  else if (a === '--every') everyMs = Number(argv.shift());
  else throw new Error(`unknown option ${a}`);
}
argv.shift();
if (argv.length === 0) throw new Error('usage: thread-timeline.mjs [--bucket MS] [--every MS] -- SCRIPT ARGS');

const TICKS = 100; // clock ticks per second (Linux: sysconf(_SC_CLK_TCK)): /proc/PID/stat's starttime
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const preload = fileURLToPath(new URL('./thread-timeline-preload.cjs', import.meta.url));
const child = spawn(process.execPath, ['--require', preload, ...argv], { stdio: ['ignore', 'ignore', 'inherit'] });
const pid = child.pid;
const marksFile = `/tmp/thread-timeline-${pid}.marks`;

/** Bootup time of the child in CLOCK_MONOTONIC ms: /proc/PID/stat's starttime (ticks since boot). */
let startMs;
try {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  startMs = (Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[19]) / TICKS) * 1000;
} catch {
  startMs = nowMs();
}
// starttime has a 10 ms resolution and counts from boot (CLOCK_BOOTTIME): close enough to the
// monotonic clock on a machine that never slept; the spawn time bounds it from below
const spawnedMs = nowMs();
if (Math.abs(startMs - spawnedMs) > 1000) startMs = spawnedMs;

/** Samples: [ms, Map tid -> [cpu s, runqueue wait s], rss KB]. */
const samples = [];
function sample() {
  const t = nowMs();
  const cpu = new Map();
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tasks) {
    try {
      // schedstat: ns on a CPU, ns runnable but waiting for one (ns resolution, where stat has 10 ms ticks)
      const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ');
      cpu.set(tid, [Number(run) / 1e9, Number(wait) / 1e9]);
    } catch {
      // ended between the listing and the read
    }
  }
  let rss = 0;
  try {
    rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))?.[1] ?? 0);
  } catch {
    // gone
  }
  samples.push([t, cpu, rss]);
}
const timer = setInterval(sample, everyMs);
sample();
const code = await new Promise((r) => child.on('exit', (c) => r(c)));
clearInterval(timer);
const endMs = nowMs();

// marks: "tid kind t_ms [value]" (kinds: main, worker, gc <ms>, mark <label>)
const marks = [];
try {
  for (const line of readFileSync(marksFile, 'latin1').split('\n')) {
    if (!line) continue;
    const [tid, kind, t, ...rest] = line.split(' ');
    marks.push({ tid, kind, t: Number(t), rest: rest.join(' ') });
  }
  rmSync(marksFile, { force: true });
} catch {
  // no marks
}
const mainTid = String(pid);
const workerTids = [...new Set(marks.filter((m) => m.kind === 'worker').map((m) => m.tid))];
const nb = Math.ceil((endMs - startMs) / bucketMs);
const rows = Array.from({ length: nb }, () => ({ main: 0, workers: workerTids.map(() => 0), other: 0, wait: 0, gc: new Map(), rss: 0, marks: [] }));
const bucketOf = (t) => Math.max(0, Math.min(nb - 1, Math.floor((t - startMs) / bucketMs)));

// CPU between consecutive samples, spread over the buckets the interval covers
let prev = new Map();
let prevT = startMs;
for (const [t, cpu, rss] of samples) {
  for (const [tid, [c, q]] of cpu) {
    const [pc, pq] = prev.get(tid) ?? [0, 0];
    const d = c - pc;
    const dq = q - pq;
    if (d <= 0 && dq <= 0) continue;
    const span = Math.max(t - prevT, 1e-3);
    const w = workerTids.indexOf(tid);
    for (let b = bucketOf(prevT); b <= bucketOf(t); b++) {
      const lo = Math.max(prevT, startMs + b * bucketMs);
      const hi = Math.min(t, startMs + (b + 1) * bucketMs);
      const share = hi > lo ? (hi - lo) / span : b === bucketOf(t) ? 1 : 0;
      const row = rows[b];
      if (tid === mainTid) row.main += d * share;
      else if (w >= 0) row.workers[w] += d * share;
      else row.other += d * share;
      // main thread and workers: time they could have run but had no CPU
      if (tid === mainTid || w >= 0) row.wait += dq * share;
    }
  }
  rows[bucketOf(t)].rss = Math.max(rows[bucketOf(t)].rss, rss);
  prev = cpu;
  prevT = t;
}
for (const m of marks) {
  const row = rows[bucketOf(m.t)];
  if (m.kind === 'gc') {
    const who = m.tid === mainTid ? 'main' : `w${workerTids.indexOf(m.tid) + 1}`;
    row.gc.set(who, (row.gc.get(who) ?? 0) + Number(m.rest));
  } else if (m.kind === 'worker') row.marks.push(`w${workerTids.indexOf(m.tid) + 1} starts`);
  else if (m.kind === 'mark') row.marks.push(`${m.tid === mainTid ? '' : `w${workerTids.indexOf(m.tid) + 1} `}${m.rest}`);
}
const pct = (s) => `${Math.round((100 * s * 1000) / bucketMs)}`.padStart(4);
process.stdout.write(
  `${argv.join(' ')}: exit ${code}, ${(endMs - startMs).toFixed(0)} ms from the process's start (±10 ms), ${samples.length} samples, ${workerTids.length} worker(s)\n` +
    `ms from start | CPU % main ${workerTids.map((_, i) => `w${i + 1}`.padStart(4)).join(' ')} other | no-CPU % | GC ms | RSS MB | marks\n`,
);
for (let b = 0; b < nb; b++) {
  const r = rows[b];
  const gc = [...r.gc].map(([k, v]) => `${k} ${v.toFixed(0)}`).join(', ');
  process.stdout.write(
    `${String(b * bucketMs).padStart(5)}-${String((b + 1) * bucketMs).padEnd(5)} | ${pct(r.main)} ${r.workers.map(pct).join(' ')} ${pct(r.other)} | ${pct(r.wait).padStart(8)} | ${gc.padEnd(16)} | ${r.rss ? (r.rss / 1024).toFixed(0).padStart(4) : '    '} | ${r.marks.join('; ')}\n`,
  );
}
/** CPU seconds of the threads `k` selects, at the last sample each thread was seen in (a worker ends before the process). */
const last = new Map();
for (const [, cpu] of samples) for (const [tid, [c]] of cpu) last.set(tid, c);
const total = (k) => [...last].filter(([tid]) => k(tid)).reduce((s, [, c]) => s + c, 0);
process.stdout.write(
  `CPU-s: main ${total((t) => t === mainTid).toFixed(2)}, workers ${total((t) => workerTids.includes(t)).toFixed(2)}, other ${total((t) => t !== mainTid && !workerTids.includes(t)).toFixed(2)}; peak RSS ${(Math.max(...samples.map((s) => s[2])) / 1024).toFixed(0)} MB (sampled)\n`,
);
