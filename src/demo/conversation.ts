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

/**
 * One simulated conversation, through the real public API exactly as an app would call it:
 * the assistant greets (turn 0), then each turn records the user, transcribes (recording
 * again after an empty transcript), thinks, and speaks a streamed reply (retrying once after
 * a TTS error).
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
        await sim.think();
        await speak(turn, sim, text === '' ? 'Sorry, I did not catch that.' : sim.reply());
      });
    }
  }, { data: { demo: true, seed: options.seed } });
  return session;
}

/** Speaks with one retry: a failed attempt leaves TTS_ERROR on its own span, the retry starts a new one. */
async function speak(host: Pick<Session, 'tts'>, sim: SimulatedVoice, text: string): Promise<void> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const plan = sim.planTts(text);
    try {
      await host.tts({ text, ...TTS, attempt }, async (op) => {
        for await (const _chunk of op.stream(sim.synthesize(attempt === 2 ? { ...plan, fails: false } : plan))) {
          op.playbackStart();
        }
        await sim.play(text);
        op.playbackEnd();
      });
      return;
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
}
