import { ListenerSet } from '../events/listener-set.js';
import type { MetricSample } from './derive.js';

/**
 * Every metric sample derived live (a TTS's time to first audio, a turn's response time...)
 * is announced here the moment its pair completes: the OTel histograms subscribe, and so
 * can an app that wants the numbers elsewhere (`liveSamples.add(fn)`).
 */
export const liveSamples = new ListenerSet<[sample: MetricSample]>();
