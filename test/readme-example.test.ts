import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { makeHarness, type Harness } from './helpers/harness.js';

/**
 * The README's usage example, run as written (its import lines replaced by the test's pipeline,
 * its providers by fakes): a new user who copies it must get every metric, none incomplete.
 */
function readmeExample(): string {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf("```ts\nimport { createVoiceEvents }");
  expect(start, 'the usage example is in README.md').toBeGreaterThanOrEqual(0);
  const end = readme.indexOf('```', start + 5);
  return readme
    .slice(start + 5, end)
    .split('\n')
    .filter((l) => !l.startsWith('import '))
    .join('\n');
}

async function* chunks(n: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < n; i++) {
    await sleep(2);
    yield new Uint8Array(8);
  }
}

let h: Harness | undefined;
afterEach(async () => {
  await h?.cleanup();
});

describe("the README's usage example", () => {
  it('runs as written and completes every metric of the turn', async () => {
    h = makeHarness();
    const harness = h;
    const fakes = {
      createVoiceEvents: () => harness.voice,
      startTelemetry: () => undefined,
      greeting: 'Hello!',
      tts: { stream: () => chunks(3), synthesize: async () => (await sleep(3), new Uint8Array(8)) },
      mic: { record: async () => (await sleep(3), new Uint8Array(8)) },
      stt: { transcribe: async () => (await sleep(2), 'what time is it') },
      llm: { answer: async (text: string) => (await sleep(2), `You asked: ${text}`) },
      player: { write: () => undefined, play: () => sleep(2) },
      // a VAD that hears the user speak while recording (and never during the reply)
      vad: {
        onSpeechStart: (f: () => void) => f(),
        onSpeechEnd: (f: () => void) => f(),
      },
    };
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
    const run = new AsyncFunction(...Object.keys(fakes), readmeExample());
    await run(...Object.values(fakes));
    await h.flush();
    const lines = h.lines();
    const { deriveMetrics } = await import('./helpers/lib.js');
    const { lineToRecord } = await import('./helpers/harness.js');
    const { samples, totals } = deriveMetrics(lines.map(lineToRecord));
    const count = (m: string) => samples.filter((s) => s.metric === m).length;
    expect(count('ttfa')).toBe(2);
    expect(count('tts_playback')).toBe(2);
    expect(count('stt_latency')).toBe(1);
    expect(count('llm_duration')).toBe(1);
    expect(count('response_time')).toBe(1);
    expect(count('voice_to_voice')).toBe(1);
    expect(Object.values(totals.incomplete).every((n) => n === 0), JSON.stringify(totals.incomplete)).toBe(true);
    expect(lines.some((l) => l.event_type === 'PROVIDER_SWITCH')).toBe(true);
    // the example's VAD calls: the reply is timed from the end of speech; no TTS was playing to cut
    expect(count('endpointing_delay')).toBe(1);
    expect(lines.some((l) => l.event_type === 'TTS_INTERRUPTED')).toBe(false);
    expect(lines.filter((l) => l.event_type === 'TTS_START').map((l) => (l.data as Record<string, unknown>).characters)).toEqual(['Hello!'.length, 'You asked: what time is it'.length]);
  });
});
