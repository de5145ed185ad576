import { Analyzer, type Analysis } from '../../src/analysis/analyzer.js';
import { discoverFiles } from '../../src/reader/discover.js';
import { readEvents, type ReadStats } from '../../src/reader/read-events.js';
import { SessionSorter } from '../../src/reader/session-sorter.js';
import { METRIC_NAMES, type MetricName } from '../../../src/metrics/derive.js';

/** The summary pipeline in-process (in-thread reader): files -> analysis, plus every metric's sorted values. */
export async function analyze(paths: string[]): Promise<{ analysis: Analysis; stats: ReadStats; values: Record<MetricName, number[]> }> {
  const files = await discoverFiles(paths);
  const analyzer = new Analyzer({ details: true, files: files.map((f) => f.path) });
  const sorter = new SessionSorter((evs) => analyzer.addSession(evs));
  const stats = await readEvents(files, (ev) => {
    analyzer.observe(ev);
    sorter.push(ev);
  });
  sorter.finish();
  const analysis = analyzer.finish();
  const values = {} as Record<MetricName, number[]>;
  for (const m of METRIC_NAMES) {
    values[m] = Array.from(analysis.store.column(m).values())
      .sort((a, b) => a - b)
      .map((v) => Math.round(v * 1e6) / 1e6);
  }
  return { analysis, stats, values };
}
