import { ListenerSet } from '../events/listener-set.js';
import type { MetricSample } from './derive.js';

/**
 * Every metric sample derived live (a TTS's time to first audio, a turn's response time...)
 * is announced here when its pair is derived (a session's events: on the next turn of the
 * event loop, or when its metrics are read or collected; see deferred-derivation.ts): the OTel
 * histograms subscribe. Internal (not exported by the package): an app reads the numbers through
 * `session.metrics()` / `turn.metrics()` or the OTel histograms.
 */
export const liveSamples = new ListenerSet<[sample: MetricSample]>();
