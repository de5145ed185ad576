import type { Session, Turn, VoiceEvents } from 'voicemode-events';
import { CHUNK_AUDIO_S, SeededRandom, SimulatedVoice, type SimulatedDelays } from './simulated-voice.js';

export interface ConversationOptions {
  turns: number;
  seed: number;
  speed: number;
  delays?: SimulatedDelays;
  errorRate?: number;
  noSpeechRate?: number;
  /** Probability that the user talks over a reply (a barge-in); default 0.1. */
  bargeInRate?: number;
}

const TTS = { provider: 'openai', model: 'tts-1', voice: 'alloy', transport: 'local' } as const;
const STT = { provider: 'whisper', model: 'base', transport: 'local' } as const;
const MIC = { transport: 'local' } as const;
const LLM = { provider: 'openai', model: 'gpt-4o-mini' } as const;

/** A recording under way: the turn it opened and what the user said. */
interface Listening {
  turn: Turn;
  plan: ReturnType<SimulatedVoice['planUtterance']>;
  done: Promise<unknown>;
}

/**
 * One simulated conversation, through the real public API exactly as an app would call it:
 * the assistant greets (turn 0), then each turn records the user with a VAD (speech start and
 * end, then the endpointing silence; recording again after silence), transcribes, streams a
 * reply from the LLM (retrying once after an LLM error) and speaks it with a streaming TTS
 * played as it arrives (retrying once after a TTS error). Sometimes the user talks over the
 * reply: the next turn's recording opens during playback and `s.bargeIn()` cuts the reply short.
 */
export async function runConversation(voice: VoiceEvents, options: ConversationOptions): Promise<Session> {
  const rand = new SeededRandom(options.seed);
  const sim = new SimulatedVoice(rand, options.speed, options.delays, options.errorRate, options.noSpeechRate);
  const bargeInRate = options.bargeInRate ?? 0.1;
  let session!: Session;
  await voice.session(async (s) => {
    session = s;
    await speak(s, sim, 'Hello! How can I help you today?');
    let next: Listening | undefined;
    for (let i = 0; i < options.turns; i++) {
      const turn = next?.turn ?? s.startTurn();
      let text = '';
      for (let attempt = 0; attempt < 2 && text === ''; attempt++) {
        const heard: Listening = attempt === 0 && next ? next : listen(turn, sim);
        await heard.done;
        text = await turn.stt(STT, () => sim.transcribe(heard.plan));
      }
      next = undefined;
      const reply = text === '' ? 'Sorry, I did not catch that.' : await think(turn, sim);
      // Sometimes the user talks over the reply (never the last one): the next turn's recording
      // opens during playback, and its VAD's speech start interrupts the reply.
      let barge: (() => Promise<void>) | undefined;
      if (i + 1 < options.turns && sim.chance(bargeInRate)) {
        barge = () =>
          new Promise<void>((interrupted) => {
            next = listen(s.startTurn(), sim, () => {
              s.bargeIn({ source: 'vad' });
              interrupted();
            });
          });
      }
      await speak(turn, sim, reply, barge);
      turn.end(); // a reply still playing ends the turn when it stops
    }
  }, { data: { demo: true, seed: options.seed } });
  return session;
}

/**
 * Records the user's next utterance in `turn`. With `interrupt`, the user is already speaking
 * over the assistant: after the user's reaction time the VAD's speech start interrupts the reply.
 */
function listen(turn: Turn, sim: SimulatedVoice, interrupt?: () => void): Listening {
  const drawn = sim.planUtterance();
  const plan = interrupt ? { ...drawn, empty: false } : drawn; // talking over the assistant is speech
  const done = turn.record(MIC, async (op) => {
    const speaking = interrupt
      ? async () => {
          await sim.bargeInStop();
          interrupt();
        }
      : undefined;
    const r = await sim.record(plan, { speechStart: () => op.speechStart(), speechEnd: () => op.speechEnd() }, speaking);
    op.set({ samples: r.samples });
  });
  return { turn, plan, done };
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

/**
 * Speaks with one retry: a failed attempt leaves TTS_ERROR on its own span, the retry starts a
 * new one. With `barge`, the user starts talking after the first chunk: the player keeps playing
 * until the barge-in interrupts the reply, then stops.
 */
async function speak(host: Pick<Session, 'tts'>, sim: SimulatedVoice, text: string, barge?: () => Promise<void>): Promise<void> {
  for (let attempt = 1; attempt <= 2; attempt++) {
    const plan = sim.planTts(text);
    try {
      await host.tts({ text, ...TTS, attempt }, async (op) => {
        // played as it arrives: the first chunk marks first audio and playback start
        for await (const _chunk of op.stream(sim.synthesize(attempt === 2 ? { ...plan, fails: false } : plan), { playback: true })) {
          op.audio({ seconds: CHUNK_AUDIO_S });
          if (barge) {
            const interrupted = barge();
            barge = undefined;
            await interrupted;
            break; // the player stops
          }
        }
      });
      return;
    } catch (err) {
      if (attempt === 2) throw err;
    }
  }
}
