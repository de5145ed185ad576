import type { QuantileMode } from './sample-store.js'; // a type only: nothing loads

/**
 * The sample store's constants that command modules read when they load (option choices,
 * help text): a leaf module, so a command's start loads neither the store, d3-array nor the
 * sketch library (issue 14 item 6: those load after discovery, with the analysis).
 */
export type LabelKey = 'provider' | 'model' | 'voice' | 'transport';
export const LABEL_KEYS: readonly LabelKey[] = ['provider', 'model', 'voice', 'transport'];
export const NO_LABEL = '(none)';

/**
 * Samples per series kept one by one, so that percentiles are exact (R-7 over every value).
 * A series with more is switched to quantile sketches (sketched-series.ts): percentiles then
 * within RELATIVE_ERROR, memory no longer growing with the input. 262,144 samples is ~2.4 MB
 * per series for summary (value and provider id), ~6.8 MB with the report's details (start,
 * session, turn, model); the bench's 1M-event file has at most 78,038 per series (about 3.3M
 * events of that mix stay exact), and every test's input stays exact.
 */
export const EXACT_SAMPLES = 1 << 18;

/** The sketches' guaranteed relative error on percentiles (quantile-sketch.ts). */
export const RELATIVE_ERROR = 0.005;

/** Slowest samples kept per provider of a latency series once it is sketched: the outlier list and the report's slowest turns (the anomaly lists' MAX_LISTED). */
export const SLOWEST_PER_PROVIDER = 1000;

/**
 * Values kept per provider of an outlier metric once it is sketched: a seeded uniform sample
 * (reservoir.ts) whose median and MAD stand for the provider's (the outlier threshold). 8 bytes
 * a value: at most 512 KiB per outlier metric and provider.
 */
export const RESERVOIR_SIZE = 1 << 16;

/** `quantiles` in `summary --json` and the report's data: one object type, `approximate` says which form. */
export type QuantilesJson = { approximate: false } | { approximate: true; relative_error: number; series: string[]; exact_samples: number };

export function quantilesJson(q: QuantileMode): QuantilesJson {
  return q.sketched.length === 0 ? { approximate: false } : { approximate: true, relative_error: q.relativeError, series: [...q.sketched], exact_samples: q.exactSamples };
}
