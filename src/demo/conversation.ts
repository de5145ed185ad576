import type { Session, VoiceEvents } from '../index.js';
import { SeededRandom, SimulatedVoice, type SimulatedDelays } from './simulated-voice.js';

export interface ConversationOptions {
  turns: number;
  seed: number;
  speed: number;
  delays?: SimulatedDelays;
  errorRate?: number;
  noSpeechRate?: number;
}

const TTS = { provider: 'openai', model: 'tts-1', voice: 'alloy', transport: 'local' } as const;
const STT = { provider: 'whisper', model: 'base', transport: 'local' } as const;
const MIC = { transport: 'local' } as const;
const LLM = { provider: 'openai', model: 'gpt-4o-mini' } as const;

/**
 * One simulated conversation, through the real public API exactly as an app would call it:
 * the assistant greets (turn 0), then each turn records the user, transcribes (recording
 * again after an empty transcript), streams a reply from the LLM (retrying once after an LLM
 * error), and speaks it with a streaming TTS played as it arrives (retrying once after a TTS
 * error).
 */
export async function runConversation(voice: VoiceEvents, options: ConversationOptions): Promise<Session> {
  const rand = new SeededRandom(options.seed);
  const sim = new SimulatedVoice(rand, options.speed, options.delays, options.errorRate, options.noSpeechRate);
  let session!: Session;
  await voice.session(async (s) => {
    session = s;
    await speak(s, sim, 'Hello! How can I help you today?');
    for (let i = 0; i < options.turns; i++) {
      await s.turn(async (turn) => {
        let text = '';
        for (let attempt = 0; attempt < 2 && text === ''; attempt++) {
          await turn.record(MIC, async (op) => {
            const r = await sim.record();
            op.set({ samples: r.samples });
          });
          text = await turn.stt(STT, () => sim.transcribe());
        }
        await speak(turn, sim, text === '' ? 'Sorry, I did not catch that.' : await think(turn, sim));
      });
    }
  }, { data: { demo: true, seed: options.seed } });
  return session;
}

/** Streams the reply from the LLM with one retry: a failed call leaves LLM_ERROR on its own span. */
async function think(host: Pick<Session, 'llm'>, sim: SimulatedVoice): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    const plan = sim.planLlm();
    try {
      let text = '';
      const tokens = host.llm({ ...LLM, attempt }, (op) => sim.generate(attempt === 2 ? { ...plan, fails: false } : plan, (u) => op.usage(u)));
      for await (const token of tokens) text += token;
      return text;
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
}

/** Speaks with one retry: a failed attempt leaves TTS_ERROR on its own span, the retry starts a new one. */
async function speak(host: Pick<Session, 'tts'>, sim: SimulatedVoice, text: string): Promise<void> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const plan = sim.planTts(text);
    try {
      await host.tts({ text, ...TTS, attempt }, async (op) => {
        // played as it arrives: the first chunk marks first audio and playback start
        for await (const _chunk of op.stream(sim.synthesize(attempt === 2 ? { ...plan, fails: false } : plan), { playback: true })) {
          // a player would write the chunk to the audio device here
        }
      });
      return;
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
}
