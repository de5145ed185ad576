/**
 * The analysis thresholds the renderers print next to their results. A leaf module (no
 * imports), so a command that only describes them does not load the analysis (and d3-array)
 * before there is anything to analyse (start-up time, issue 14 item 6).
 */

/** Slow outlier: value > median + K * 1.4826 * max(MAD, 1 ms) (analysis/anomalies.ts). */
export const OUTLIER_K = 3.5;
/** The metrics judged for slow outliers (analysis/anomalies.ts). */
export const OUTLIER_METRICS = ['ttfa', 'response_time', 'voice_to_voice', 'stt_latency'] as const;
/** Error burst: *_ERROR events each within this gap of the previous one... */
export const BURST_GAP_US = 60_000_000;
/** ...at least this many of them. */
export const BURST_MIN = 3;
/** Their numbers (voicemode's own `data.metrics`) and ours differing by more than this are listed (analysis/their-numbers.ts). */
export const DIFF_LIMIT_MS = 50;
