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

export class LlmProviderError extends Error {
  override name = 'LlmProviderError';
}

export interface SimulatedDelays {
  ttfaS: [number, number];
  recordingS: [number, number];
  sttS: [number, number];
  /** The LLM's time to first token, and the time per further token. */
  llmTtftS: [number, number];
  tokenS: [number, number];
  /** Silence the VAD waits after the user stops before the recording ends. */
  endpointingS: [number, number];
  /** How long the assistant keeps talking after the user starts speaking over it. */
  bargeInStopS: [number, number];
}

export const DEFAULT_DELAYS: SimulatedDelays = {
  ttfaS: [0.15, 1.2],
  recordingS: [1, 6],
  sttS: [0.2, 1.5],
  llmTtftS: [0.2, 1.5],
  tokenS: [0.01, 0.03],
  endpointingS: [0.2, 0.8],
  bargeInStopS: [0.1, 0.4],
};

/** Seconds of audio in each simulated TTS chunk (16 kHz, 16-bit mono). */
export const CHUNK_AUDIO_S = 0.25;
const CHUNK_BYTES = 16_000 * 2 * CHUNK_AUDIO_S;

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
      yield new Uint8Array(CHUNK_BYTES);
    }
  }

  /** Draws what the user will say next: silence or an utterance, its timing and its transcript. */
  planUtterance(): { empty: boolean; speechStartS: number; speechS: number; endpointingS: number; sttS: number; text: string } {
    const speechS = this.rand.between(...this.delays.recordingS);
    const speechStartS = this.rand.between(0.05, 0.4);
    const endpointingS = this.rand.between(...this.delays.endpointingS);
    const sttS = this.rand.between(...this.delays.sttS);
    const empty = this.rand.chance(this.noSpeechRate);
    const text = this.rand.pick(UTTERANCES);
    return { empty, speechStartS, speechS, endpointingS, sttS, text };
  }

  /**
   * The microphone with a VAD: the user starts speaking, speaks, stops; the recording ends
   * after the endpointing silence. `speaking` runs when the VAD hears speech start (the
   * barge-in hook). Silence: no speech events, the recording times out.
   */
  async record(
    plan: ReturnType<SimulatedVoice['planUtterance']>,
    vad: { speechStart(): void; speechEnd(): void },
    speaking?: () => Promise<void>,
  ): Promise<{ samples: number; seconds: number }> {
    if (plan.empty) {
      await this.wait(plan.speechStartS + plan.speechS + plan.endpointingS);
    } else {
      if (!speaking) await this.wait(plan.speechStartS); // a barge-in: already speaking as the mic opens
      vad.speechStart();
      await speaking?.();
      await this.wait(plan.speechS);
      vad.speechEnd();
      await this.wait(plan.endpointingS);
    }
    const seconds = plan.speechStartS + plan.speechS + plan.endpointingS;
    return { samples: Math.round(seconds * 16000), seconds };
  }

  async transcribe(plan: ReturnType<SimulatedVoice['planUtterance']>): Promise<string> {
    await this.wait(plan.sttS);
    return plan.empty ? '' : plan.text;
  }

  /** The user's reaction time before the assistant stops: barge_in_stop. */
  bargeInStop(): Promise<void> {
    return this.wait(this.rand.between(...this.delays.bargeInStopS));
  }

  chance(p: number): boolean {
    return this.rand.chance(p);
  }

  /** Draws everything one LLM call will do, up front: 20-80 tokens of a reply, its time to first token, whether it fails. */
  planLlm(): { tokens: string[]; ttftS: number; tokenS: number; fails: boolean } {
    const words = this.rand.pick(REPLIES).split(' ');
    const n = Math.floor(this.rand.between(20, 81));
    const tokens = Array.from({ length: n }, (_, i) => (i === 0 ? '' : ' ') + words[i % words.length]!);
    const ttftS = this.rand.between(...this.delays.llmTtftS);
    const tokenS = this.rand.between(...this.delays.tokenS);
    const fails = this.rand.chance(this.errorRate / 2);
    return { tokens, ttftS, tokenS, fails };
  }

  /** A streaming LLM: yields the reply token by token; reports its usage before it ends. */
  async *generate(plan: ReturnType<SimulatedVoice['planLlm']>, usage: (u: { input_tokens: number; output_tokens: number }) => void): AsyncGenerator<string> {
    await this.wait(plan.ttftS * (plan.fails ? 0.5 : 1));
    if (plan.fails) throw new LlmProviderError('simulated provider error: 429 rate limited');
    for (let i = 0; i < plan.tokens.length; i++) {
      if (i > 0) await this.wait(plan.tokenS);
      yield plan.tokens[i]!;
    }
    usage({ input_tokens: 180 + plan.tokens.length * 2, output_tokens: plan.tokens.length });
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
