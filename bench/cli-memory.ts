import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { runMeasured, type ProcUsage } from './proc-usage.js';
import { ensureEventsFile } from './summary-throughput.js';

/**
 * Item 9 (issue 14 item 3): peak RSS of `summary --json` and `report` as the input grows, each
 * run as a user runs it (a separate process; wall, CPU of all threads, peak RSS from the
 * preload of proc-usage.ts). The memory bound is about what grows with the input: the per-1M
 * slope between the smallest and the largest file is printed beside the figures, and the
 * targets (summary <= 200 MB, report <= 300 MB) are judged on a 10M-event file when one is
 * measured (`--large`). The worst of the repetitions counts (a bound, not a typical value): the
 * reader starts one or two parse workers depending on the cores free at the moment, and two
 * hold more batches at once.
 */
export interface CliMemoryOptions {
  /** Input sizes in events (the bench's generated files, cached in the temp folder). */
  sizes: readonly number[];
  repetitions: number;
  cli?: string;
}

export interface SizeFigures {
  summary_rss_mb: number;
  summary_wall_s: number;
  summary_cpu_s: number;
  report_rss_mb: number;
  report_wall_s: number;
  report_cpu_s: number;
}

export interface CliMemoryResult {
  /** Per input size (`1m`, `5m`, `10m`, ...), the worst run of each command. */
  rss_by_size?: Record<string, SizeFigures>;
  summary_rss_1m_mb?: number;
  report_rss_1m_mb?: number;
  summary_rss_5m_mb?: number;
  report_rss_5m_mb?: number;
  summary_rss_10m_mb?: number;
  report_rss_10m_mb?: number;
  /** MB of peak RSS per 1M more events, between the smallest and the largest size. */
  summary_rss_mb_per_1m?: number;
  report_rss_mb_per_1m?: number;
  cli_memory_note?: string;
}

/** `1m`, `5m`, `10m`, `2k`: the size in a key. */
export function sizeKey(events: number): string {
  return events >= 1_000_000 && events % 1_000_000 === 0 ? `${events / 1_000_000}m` : `${Math.round(events / 1000)}k`;
}

export async function measureCliMemory(opts: CliMemoryOptions): Promise<CliMemoryResult> {
  const cli = opts.cli ?? resolve('cli/dist/main.js');
  if (!existsSync(cli)) return { cli_memory_note: `no built CLI at ${cli} (run npm run build)` };
  const out = mkdtempSync(join(tmpdir(), 'vme-bench-report-'));
  const bySize: Record<string, SizeFigures> = {};
  const worst = (runs: ProcUsage[], key: 'rss_mb' | 'wall_s' | 'cpu_s'): number => Math.max(...runs.map((u) => u[key] ?? Number.NaN));
  try {
    for (const events of opts.sizes) {
      const file = await ensureEventsFile(events);
      const summary: ProcUsage[] = [];
      const report: ProcUsage[] = [];
      for (let i = 0; i < opts.repetitions; i++) {
        summary.push(runMeasured(process.execPath, [cli, 'summary', '--json', file], { node: true }));
        report.push(runMeasured(process.execPath, [cli, 'report', '--out', join(out, 'report.html'), file], { node: true }));
      }
      bySize[sizeKey(events)] = {
        summary_rss_mb: worst(summary, 'rss_mb'),
        summary_wall_s: worst(summary, 'wall_s'),
        summary_cpu_s: worst(summary, 'cpu_s'),
        report_rss_mb: worst(report, 'rss_mb'),
        report_wall_s: worst(report, 'wall_s'),
        report_cpu_s: worst(report, 'cpu_s'),
      };
    }
    const r: CliMemoryResult = { rss_by_size: bySize };
    for (const k of ['1m', '5m', '10m'] as const) {
      const f = bySize[k];
      if (f === undefined) continue;
      r[`summary_rss_${k}_mb`] = f.summary_rss_mb;
      r[`report_rss_${k}_mb`] = f.report_rss_mb;
    }
    const lo = bySize[sizeKey(Math.min(...opts.sizes))]!;
    const hi = bySize[sizeKey(Math.max(...opts.sizes))]!;
    const span = (Math.max(...opts.sizes) - Math.min(...opts.sizes)) / 1e6;
    if (span > 0) {
      r.summary_rss_mb_per_1m = (hi.summary_rss_mb - lo.summary_rss_mb) / span;
      r.report_rss_mb_per_1m = (hi.report_rss_mb - lo.report_rss_mb) / span;
    }
    return r;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
