import { type Command, InvalidArgumentError } from 'commander';
import { EXACT_SAMPLES } from './analysis/store-options.js';

/**
 * `--exact-samples <n>` of summary, report and anomalies: samples per metric kept one by one
 * for exact percentiles; a metric with more is summarised by a quantile sketch (docs/cli.md,
 * "Exact and approximate figures"). More keeps exact figures on larger inputs at ~8 bytes a
 * sample (~26 with the report's details); fewer bounds memory lower.
 */
export function addExactSamplesOption(cmd: Command): Command {
  return cmd.option(
    '--exact-samples <n>',
    `samples per metric kept for exact percentiles; beyond, a quantile sketch within 0.5% (default ${EXACT_SAMPLES})`,
    (raw: string): number => {
      // digits only: Number() would also take '' (0), '0x10' (16) and '1e3' (1000)
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('--exact-samples must be a whole number >= 0, in digits');
      return n;
    },
  );
}

/** The note printed (text output) when some metric's figures are approximate; '' when all are exact. */
export function quantilesNoteText(q: { sketched: readonly string[]; relativeError: number; exactSamples: number }): string {
  if (q.sketched.length === 0) return '';
  return (
    `Approximate percentiles (within ${100 * q.relativeError}%) for ${q.sketched.join(', ')}: more than ${q.exactSamples} samples each ` +
    '(--exact-samples); count, mean, min and max are exact.'
  );
}
