import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { median } from './harness.js';
import { runMeasured } from './proc-usage.js';

/**
 * Item 7 of issue 14 (start-up): `voicemode-events --help` and `summary` on an empty folder
 * (which ends in "no event logs", exit 1), each a fresh process as a user starts it, median
 * wall time over `runs` runs, next to a bare `node -e 0` (the floor: Node's own start-up on
 * this machine, at the same moment). Target: <= 100 ms median.
 */
export interface StartupOptions {
  runs: number;
  cli?: string;
}

export interface StartupResult {
  help_ms: number;
  help_cpu_ms: number;
  summary_empty_ms: number;
  summary_empty_cpu_ms: number;
  node_start_ms: number;
  node_start_cpu_ms: number;
}

export function measureStartup(opts: StartupOptions): StartupResult {
  // as a user starts it: the committed bin, which imports cli/dist/main.js
  const cli = opts.cli ?? resolve('cli/bin/voicemode-events.js');
  const empty = mkdtempSync(join(tmpdir(), 'vme-bench-empty-'));
  try {
    const subjects = {
      node: ['-e', '0'],
      help: [cli, '--help'],
      empty: [cli, 'summary', empty],
    };
    const wall: Record<keyof typeof subjects, number[]> = { node: [], help: [], empty: [] };
    const cpu: Record<keyof typeof subjects, number[]> = { node: [], help: [], empty: [] };
    // one untimed round (disk cache), then the subjects take turns
    for (let r = -1; r < opts.runs; r++) {
      for (const key of Object.keys(subjects) as (keyof typeof subjects)[]) {
        const u = runMeasured(process.execPath, subjects[key], { okStatus: key === 'empty' ? [1] : [0] });
        if (r < 0) continue;
        wall[key].push(u.wall_s * 1000);
        cpu[key].push(u.cpu_s * 1000);
      }
    }
    return {
      help_ms: median(wall.help),
      help_cpu_ms: median(cpu.help),
      summary_empty_ms: median(wall.empty),
      summary_empty_cpu_ms: median(cpu.empty),
      node_start_ms: median(wall.node),
      node_start_cpu_ms: median(cpu.node),
    };
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
}
