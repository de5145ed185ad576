import { setTimeout as sleep } from 'node:timers/promises';
import prand from 'pure-rand';

/**
 * Simulated voice providers for the demo: a streaming TTS, a microphone and an STT with
 * seeded random, realistic delays. pure-rand gives a seedable generator, so the same seed
 * gives the same sequence of events (and the same delays) every run.
 */
export class SeededRandom {
  private readonly rng: prand.RandomGenerator;
  constructor(seed: number) {
    this.rng = prand.xoroshiro128plus(seed);
  }
  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (prand.unsafeUniformIntDistribution(0, 1_000_000, this.rng) / 1_000_001) * (max - min);
  }
  chance(p: number): boolean {
    return this.between(0, 1) < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[prand.unsafeUniformIntDistribution(0, items.length - 1, this.rng)]!;
  }
}

export class TtsProviderError extends Error {
  override name = 'TtsProviderError';
}

export interface SimulatedDelays {
  ttfaS: [number, number];
  recordingS: [number, number];
  sttS: [number, number];
  thinkS: [number, number];
}

export const DEFAULT_DELAYS: SimulatedDelays = {
  ttfaS: [0.15, 1.2],
  recordingS: [1, 6],
  sttS: [0.2, 1.5],
  thinkS: [0.3, 2],
};

/** One simulated conversation partner. Every random draw happens in call order, so runs repeat. */
export class SimulatedVoice {
  constructor(
    private readonly rand: SeededRandom,
    private readonly speed: number,
    private readonly delays: SimulatedDelays = DEFAULT_DELAYS,
    private readonly errorRate = 0.08,
    private readonly noSpeechRate = 0.1,
  ) {}

  private wait(seconds: number): Promise<void> {
    return sleep((seconds * 1000) / this.speed);
  }

  /** Draws everything one TTS call will do, up front (so a failing call still draws the same numbers). */
  planTts(text: string): { ttfaS: number; chunks: number; chunkS: number; fails: boolean } {
    const ttfaS = this.rand.between(...this.delays.ttfaS);
    const chunks = Math.max(2, Math.ceil(text.length / 20));
    const chunkS = this.rand.between(0.02, 0.08);
    const fails = this.rand.chance(this.errorRate);
    return { ttfaS, chunks, chunkS, fails };
  }

  /** A streaming TTS: yields audio chunks; the first arrives after the TTFA. */
  async *synthesize(plan: ReturnType<SimulatedVoice['planTts']>): AsyncGenerator<Uint8Array> {
    await this.wait(plan.ttfaS * (plan.fails ? 0.5 : 1));
    if (plan.fails) throw new TtsProviderError('simulated provider error: 503 Service Unavailable');
    for (let i = 0; i < plan.chunks; i++) {
      if (i > 0) await this.wait(plan.chunkS);
      yield new Uint8Array(320);
    }
  }

  /** Plays what was synthesised: a duration that follows the text's length. */
  play(text: string): Promise<void> {
    return this.wait(0.2 + text.length * 0.01);
  }

  async record(): Promise<{ samples: number; seconds: number }> {
    const seconds = this.rand.between(...this.delays.recordingS);
    await this.wait(seconds);
    return { samples: Math.round(seconds * 16000), seconds };
  }

  async transcribe(): Promise<string> {
    const seconds = this.rand.between(...this.delays.sttS);
    const empty = this.rand.chance(this.noSpeechRate);
    const text = this.rand.pick(UTTERANCES);
    await this.wait(seconds);
    return empty ? '' : text;
  }

  think(): Promise<void> {
    return this.wait(this.rand.between(...this.delays.thinkS));
  }

  reply(): string {
    return this.rand.pick(REPLIES);
  }
}

const UTTERANCES = [
  'What is the weather like tomorrow?',
  'Can you book a table for two at eight?',
  'Remind me to call my sister.',
  'How long does it take to get to the airport?',
  'Play something relaxing.',
  'What was the score last night?',
];

const REPLIES = [
  'Tomorrow looks sunny with a high of twenty-one degrees.',
  'Done. I booked a table for two at eight o clock.',
  'Sure, I will remind you this evening.',
  'About forty minutes with current traffic.',
  'Here is a relaxing playlist for you.',
  'Your team won three to one.',
];
