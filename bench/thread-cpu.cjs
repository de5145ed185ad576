'use strict';
/**
 * CPU seconds per thread of one Node process (Linux), printed to stderr at exit: the main
 * thread, each worker thread, and the rest (V8's platform threads: concurrent compilation and
 * GC helpers; libuv's pool). A profiling aid, not part of the bench:
 *
 *   node --require ./bench/thread-cpu.cjs cli/bin/voicemode-events.js summary --json FILE > /dev/null
 *
 * `--cpu-prof` shows what each isolate's JavaScript does, but not the CPU that V8 spends on
 * its own threads (for `summary` on 1M events: ~0.4-0.6 s of optimising compilation, see
 * docs/performance.md). Threads are sampled every 20 ms from /proc/self/task; a worker thread
 * (which runs this preload too: workers inherit execArgv) marks its own tid through
 * /proc/thread-self.
 */
const fs = require('node:fs');
const { isMainThread } = require('node:worker_threads');

const MARKS = `/tmp/thread-cpu-${process.pid}.tids`;
/** CPU seconds (utime + stime) in a /proc stat line. */
function cpuOf(stat) {
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime, in clock ticks (100 per second on Linux)
  return (Number(f[11]) + Number(f[12])) / 100;
}
if (!isMainThread) {
  try {
    const tid = fs.readlinkSync('/proc/thread-self').split('/').pop();
    fs.appendFileSync(MARKS, `${tid}\n`);
    // the worker notes its own CPU too (every 20 ms and at its exit): the main thread's samples
    // come late while it is busy, and a worker that ended between two of them lost its tail
    const own = () => {
      try {
        fs.writeFileSync(`${MARKS}.${tid}`, String(cpuOf(fs.readFileSync('/proc/thread-self/stat', 'latin1'))));
      } catch {
        // ending
      }
    };
    setInterval(own, 20).unref();
    process.on('exit', own);
  } catch {
    // not Linux: nothing to mark
  }
} else {
  const seen = new Map();
  const sample = () => {
    let tasks;
    try {
      tasks = fs.readdirSync('/proc/self/task');
    } catch {
      return;
    }
    for (const t of tasks) {
      try {
        seen.set(t, cpuOf(fs.readFileSync(`/proc/self/task/${t}/stat`, 'latin1')));
      } catch {
        // the thread ended between the listing and the read: its last sample stands
      }
    }
  };
  const timer = setInterval(sample, 20);
  timer.unref();
  process.on('exit', () => {
    sample();
    let workers = [];
    try {
      workers = fs.readFileSync(MARKS, 'latin1').split('\n').filter(Boolean);
      fs.rmSync(MARKS, { force: true });
    } catch {
      // no worker started
    }
    const main = seen.get(String(process.pid)) ?? 0;
    const w = workers.map((t) => {
      let noted = 0;
      try {
        noted = Number(fs.readFileSync(`${MARKS}.${t}`, 'latin1')) || 0;
        fs.rmSync(`${MARKS}.${t}`, { force: true });
      } catch {
        // none noted
      }
      return Math.max(seen.get(t) ?? 0, noted);
    });
    let other = 0;
    for (const [t, cpu] of seen) if (t !== String(process.pid) && !workers.includes(t)) other += cpu;
    const total = main + other + w.reduce((a, b) => a + b, 0);
    process.stderr.write(
      `thread CPU-s: main ${main.toFixed(2)}, workers ${w.map((x) => x.toFixed(2)).join(' + ') || 'none'}, other threads ${other.toFixed(2)}; total ${total.toFixed(2)}\n`,
    );
  });
}
