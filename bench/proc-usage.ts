import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { childrenCpuS } from './cpu-account.js';

/**
 * Runs one command as a user would (a separate process, start-up included) and measures it:
 * wall time; CPU seconds of the process and all its threads (DuckDB's, our parse workers),
 * read as the growth of this process's `cutime + cstime` once the child is waited for (Linux;
 * 10 ms resolution, fine for runs of a second or more); and, for Node subjects, peak RSS,
 * reported by a `--require`d preload from `process.resourceUsage()` at exit (the whole
 * process, every thread). Where /proc is missing, the preload's CPU figure is used.
 */

export interface ProcUsage {
  wall_s: number;
  cpu_s: number;
  /** Peak RSS in MB (Node subjects only). */
  rss_mb: number | undefined;
  stdout: string;
}

const PRELOAD = `'use strict';
const { isMainThread } = require('node:worker_threads');
if (isMainThread && process.env.VME_BENCH_USAGE) {
  const out = process.env.VME_BENCH_USAGE;
  process.on('exit', () => {
    const u = process.resourceUsage();
    require('node:fs').writeFileSync(out, JSON.stringify({ maxRSS: u.maxRSS, cpuUs: u.userCPUTime + u.systemCPUTime }));
  });
}
`;

let preloadDir: string | undefined;
function preloadFile(): string {
  if (!preloadDir) {
    preloadDir = mkdtempSync(join(tmpdir(), 'vme-bench-usage-'));
    writeFileSync(join(preloadDir, 'usage.cjs'), PRELOAD);
    process.once('exit', () => rmSync(preloadDir!, { recursive: true, force: true }));
  }
  return join(preloadDir, 'usage.cjs');
}

export interface RunOptions {
  /** A Node script: run with `process.execPath`, the preload reports peak RSS. */
  node?: boolean;
  /** Keep stdout (otherwise it is discarded, as with `> /dev/null`). */
  capture?: boolean;
  /** Exit statuses that are the expected outcome (default: 0 only). */
  okStatus?: readonly number[];
}

export function runMeasured(cmd: string, args: readonly string[], opts: RunOptions = {}): ProcUsage {
  const usageFile = opts.node ? join(dirname(preloadFile()), `u-${process.pid}-${Math.random().toString(36).slice(2)}.json`) : undefined;
  const fullArgs = opts.node ? ['--require', preloadFile(), ...args] : [...args];
  const env = usageFile ? { ...process.env, VME_BENCH_USAGE: usageFile } : process.env;
  const cpu0 = childrenCpuS();
  const t0 = performance.now();
  const out = spawnSync(cmd, fullArgs, {
    env,
    stdio: ['ignore', opts.capture ? 'pipe' : 'ignore', 'pipe'],
    maxBuffer: 1 << 28,
    encoding: 'utf8',
  });
  const wall = (performance.now() - t0) / 1000;
  const cpu1 = childrenCpuS();
  if (out.error) throw out.error;
  if (!(opts.okStatus ?? [0]).includes(out.status ?? -1)) throw new Error(`${cmd} ${args.join(' ')} exited ${out.status}: ${String(out.stderr).slice(0, 500)}`);
  let rss: number | undefined;
  let preloadCpu: number | undefined;
  if (usageFile) {
    try {
      const u = JSON.parse(readFileSync(usageFile, 'utf8')) as { maxRSS: number; cpuUs: number };
      rss = u.maxRSS / 1024;
      preloadCpu = u.cpuUs / 1e6;
    } finally {
      rmSync(usageFile, { force: true });
    }
  }
  const cpu = cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : (preloadCpu ?? Number.NaN);
  return { wall_s: wall, cpu_s: cpu, rss_mb: rss, stdout: opts.capture ? String(out.stdout) : '' };
}
