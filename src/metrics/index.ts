/**
 * `voicemode-events/metrics`: the one derivation of latency metrics from events, used live by
 * the instrumentation and offline by the CLI. Pure (no OpenTelemetry needed). Documented in
 * docs/api.md.
 */
export {
  METRIC_NAMES,
  SEGMENT_NAMES,
  SERIES_NAMES,
  MetricsDeriver,
  StatsAccumulator,
  deriveMetrics,
  isSegment,
  zeroCounts,
} from './derive.js';
export type {
  DerivationTotals,
  IncompleteListener,
  MetricCounts,
  MetricName,
  MetricSample,
  MetricStats,
  SampleLabels,
  SampleListener,
  SampleSink,
  SegmentName,
  SeriesName,
} from './derive.js';
