import { AggregationTemporality, MetricReader } from '@opentelemetry/sdk-metrics';

/** A metric reader that collects on demand (`await reader.collect()`), cumulative. */
export class TestReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}
