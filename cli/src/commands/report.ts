import { Command } from 'commander';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { buildReportData } from '../report/report-data.js';
import { renderHtml } from '../report/render-html.js';
import { DataError } from '../reader/errors.js';
import { analyzeInputs } from '../analyze-run.js';
import { writeOut } from '../format.js';
import { addTimeOptions, addVerboseOption, baseFilter, type InputOptions } from '../input.js';
import { anomaliesJson } from '../render-anomalies.js';
import { addPricesOption } from '../prices-option.js';
import { addExactSamplesOption } from '../exact-samples-option.js';
import { pricesFromOptions } from '../analysis/prices.js';

interface ReportOptions extends InputOptions {
  out: string;
  prices?: string;
  exactSamples?: number;
}

export function reportCommand(): Command {
  const cmd = new Command('report')
    .description('Write one self-contained HTML report: histograms, daily percentiles, breakdown by provider/model, slowest turns, barge-in, usage and cost, anomalies')
    .argument('[paths...]', 'log files or folders (.jsonl, .jsonl.gz); default: the configured log folder')
    .requiredOption('-o, --out <file.html>', 'the HTML file to write')
    .option('--session <id>', 'only this session');
  addPricesOption(cmd);
  addExactSamplesOption(cmd);
  addTimeOptions(cmd);
  addVerboseOption(cmd);
  return cmd
    .addHelpText('after', '\nExample:\n  $ voicemode-events report ~/voicemode_logs --since 30d --out report.html\n')
    .action(async (paths: string[], opts: ReportOptions) => {
      const prices = await pricesFromOptions(opts.prices);
      const { files, stats, analysis } = await analyzeInputs(paths, opts, baseFilter(opts), { details: true, labels: ['model'], prices, exactSamples: opts.exactSamples });
      const data = buildReportData(analysis, files.map((f) => f.path), stats.skippedLines, anomaliesJson(analysis, true));
      const out = resolve(opts.out);
      try {
        await writeFile(out, renderHtml(data));
      } catch (err) {
        throw new DataError(`cannot write ${out}: ${(err as Error).message}`);
      }
      await writeOut(`Report written to ${out} (${analysis.events} events, ${analysis.sessions} sessions)\n`);
    });
}
