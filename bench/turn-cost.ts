import { join } from 'node:path';
import { trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Session } from '../src/index.js';
import { CallTimer, median, tempDir, timerOverheadNs, yieldToLoop } from './harness.js';
import { rawParentContext, startOurs, startRawOtel } from './subjects.js';

/**
 * Item 3c (issue 14, target 5): a whole voice turn through `startTelemetry()` with the JSONL
 * sink, against raw OpenTelemetry doing the same spans and events with a no-op exporter.
 *
 * A turn: a recording (RECORDING_START/END, opening the turn), STT (3 events), an LLM reply
 * streamed as 30 tokens (4 events; LLM_FIRST_TOKEN on the first token, the text on
 * LLM_COMPLETE), a TTS reply streamed as 20 audio chunks played as they arrive (5 events), and
 * the turn span around them: 5 spans, 14 events. The "work" is async generators handing out
 * tokens and chunks that are already there, so only the instrumentation and the streams'
 * own plumbing are timed; `bare` runs the same turn with no telemetry at all.
 *
 * What is reported per subject (all per turn, p50 over every turn of a repetition, median of
 * the repetitions): the turn's time as its caller waits for it (the turn runs in microtasks;
 * the sink's formatting and writing and the histograms run on later turns of the event loop,
 * between chunks of turns, as in an app), minus the bare turn's: `turn_ns_p50` (ours) and
 * `otel_turn_ns_p50` (raw), the overhead each adds to a turn. And the CPU time per turn of a
 * block of turns run alone with everything it causes (file writes, metrics), flushed at the
 * end: `turn_cpu_ns` / `otel_turn_cpu_ns` / `bare_turn_cpu_ns`.
 */

export interface TurnCostOptions {
  turns: number;
  repetitions: number;
  chunk: number;
  warmupTurns: number;
  /** Turns of each CPU block (per repetition). */
  cpuTurns: number;
}

export interface TurnCostResult {
  turn_ns_p50: number;
  otel_turn_ns_p50: number;
  bare_turn_ns_p50: number;
  /** The three subjects' whole turn (not minus bare), p50. */
  turn_total_ns_p50: number;
  otel_turn_total_ns_p50: number;
  turn_cpu_ns: number;
  otel_turn_cpu_ns: number;
  bare_turn_cpu_ns: number;
  /**
   * Ours with the first token and first chunk marked by hand in the app's loop (`op.firstToken()`,
   * `op.firstAudio()`, `op.playbackStart()` / `playbackEnd()`), as the raw-OTel column does: the
   * instrumentation alone, without watching the streams. Not a target; it splits 3c's figure.
   */
  turn_by_hand_ns_p50: number;
}

const TOKENS = Array.from({ length: 30 }, (_, i) => (i === 0 ? 'It' : ` w${i}`));
const REPLY = TOKENS.join('');
const CHUNK = new Uint8Array(960); // 20 ms of 24 kHz 16-bit mono
const TRANSCRIPT = 'what is the weather tomorrow';
const SESSION_ID = 'conv_1796000000000_abcdef';

async function* tokens(): AsyncGenerator<string> {
  for (let i = 0; i < TOKENS.length; i++) yield TOKENS[i]!;
}
async function* audio(): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < 20; i++) yield CHUNK;
}

/** What the app does with what it gets (kept so nothing is optimised away). */
let played = 0;
function play(chunk: Uint8Array): void {
  played += chunk.length;
}

export async function bareTurn(): Promise<void> {
  const _audio = CHUNK; // the recording
  void _audio;
  const text = TRANSCRIPT; // STT
  let reply = '';
  for await (const t of tokens()) reply += t;
  if (reply.length === 0 || text.length === 0) throw new Error('bench: empty reply');
  for await (const c of audio()) play(c);
}

export async function ourTurn(s: Session): Promise<void> {
  await s.record({ transport: 'local' }, () => CHUNK); // opens the next turn (the turn rule)
  const text = await s.stt({ provider: 'whisper' }, () => TRANSCRIPT);
  let reply = '';
  for await (const t of s.llm({ provider: 'openai', model: 'gpt-4o-mini' }, () => tokens())) reply += t;
  if (reply.length === 0 || text.length === 0) throw new Error('bench: empty reply');
  await s.tts({ text: reply, provider: 'openai', voice: 'alloy' }, async (op) => {
    for await (const c of op.stream(audio(), { playback: true })) play(c);
  });
}

/** Our API with the streams' first token / chunk marked in the app's own loop (no stream watching). */
export async function ourTurnByHand(s: Session): Promise<void> {
  await s.record({ transport: 'local' }, () => CHUNK);
  const text = await s.stt({ provider: 'whisper' }, () => TRANSCRIPT);
  const reply = await s.llm({ provider: 'openai', model: 'gpt-4o-mini' }, async (op) => {
    let r = '';
    let first = true;
    for await (const t of tokens()) {
      if (first) {
        op.firstToken();
        first = false;
      }
      r += t;
    }
    return r;
  });
  if (typeof reply !== 'string' || reply.length === 0 || text.length === 0) throw new Error('bench: empty reply');
  await s.tts({ text: reply, provider: 'openai', voice: 'alloy' }, async (op) => {
    let first = true;
    for await (const c of audio()) {
      if (first) {
        op.firstAudio();
        op.playbackStart();
        first = false;
      }
      play(c);
    }
    op.playbackEnd();
  });
}

/**
 * The same by hand in raw OpenTelemetry, as a user of it would write it: the same span names,
 * attributes and events, the first token / first chunk noticed in the app's own loop.
 */
export async function rawTurn(tracer: Tracer, session: Context, turnNumber: number): Promise<void> {
  const base = { 'session.id': SESSION_ID, 'gen_ai.conversation.id': SESSION_ID, 'turn.number': turnNumber };
  const turn = tracer.startSpan('voice.turn', { attributes: base }, session);
  const ctx = trace.setSpan(session, turn);
  await tracer.startActiveSpan('voice.recording', { attributes: { ...base, 'voice.transport': 'local' } }, ctx, async (span: Span) => {
    span.addEvent('RECORDING_START', { transport: 'local' });
    const recorded = CHUNK;
    span.addEvent('RECORDING_END', { duration: recorded.length / 48_000 });
    span.end();
  });
  const text = await tracer.startActiveSpan(
    'voice.stt',
    { attributes: { ...base, 'gen_ai.operation.name': 'speech_to_text', 'voice.provider': 'whisper', 'gen_ai.provider.name': 'whisper' } },
    ctx,
    async (span: Span) => {
      span.addEvent('STT_REQUEST');
      span.addEvent('STT_START', { provider: 'whisper' });
      const t = TRANSCRIPT;
      span.addEvent('STT_COMPLETE', { text: t, text_length: t.length });
      span.end();
      return t;
    },
  );
  const reply = await tracer.startActiveSpan(
    'voice.llm',
    {
      attributes: {
        ...base,
        'gen_ai.operation.name': 'chat',
        'voice.provider': 'openai',
        'gen_ai.provider.name': 'openai',
        'voice.model': 'gpt-4o-mini',
        'gen_ai.request.model': 'gpt-4o-mini',
      },
    },
    ctx,
    async (span: Span) => {
      span.addEvent('LLM_REQUEST');
      span.addEvent('LLM_START', { provider: 'openai', model: 'gpt-4o-mini' });
      let r = '';
      let first = true;
      for await (const t of tokens()) {
        if (first) {
          span.addEvent('LLM_FIRST_TOKEN');
          first = false;
        }
        r += t;
      }
      span.addEvent('LLM_COMPLETE', { text: r, text_length: r.length });
      span.end();
      return r;
    },
  );
  if (reply.length === 0 || text.length === 0) throw new Error('bench: empty reply');
  await tracer.startActiveSpan(
    'voice.tts',
    {
      attributes: {
        ...base,
        'gen_ai.operation.name': 'text_to_speech',
        'voice.provider': 'openai',
        'gen_ai.provider.name': 'openai',
        'voice.voice': 'alloy',
        'gen_ai.speech.voice': 'alloy',
        'voice.text_length': reply.length,
      },
    },
    ctx,
    async (span: Span) => {
      span.addEvent('TTS_REQUEST', { text_length: reply.length });
      span.addEvent('TTS_START', { message: reply, provider: 'openai', voice: 'alloy', characters: reply.length });
      let first = true;
      for await (const c of audio()) {
        if (first) {
          span.addEvent('TTS_FIRST_AUDIO');
          span.addEvent('TTS_PLAYBACK_START');
          first = false;
        }
        play(c);
      }
      span.addEvent('TTS_PLAYBACK_END');
      span.end();
    },
  );
  turn.setAttributes({ 'turn.interrupted': false, 'gen_ai.agent.invocation.end_reason': 'completed' });
  turn.end();
}

/** Times `n` turns one by one (each awaited), chunk by chunk, with the event loop running between chunks. */
async function timeTurns(turn: () => Promise<void>, timer: CallTimer | undefined, n: number, chunk: number): Promise<void> {
  for (let done = 0; done < n; done += chunk) {
    const k = Math.min(chunk, n - done);
    for (let i = 0; i < k; i++) {
      if (timer === undefined) await turn();
      else await timer.runAsync(turn);
    }
    await yieldToLoop();
  }
}

/** CPU time per turn of `n` turns run alone, with what they cause (writes, metrics) flushed at the end. */
async function cpuPerTurn(turn: () => Promise<void>, flush: () => Promise<void>, n: number, chunk: number): Promise<number> {
  await flush();
  const c0 = process.cpuUsage();
  await timeTurns(turn, undefined, n, chunk);
  await flush();
  const c = process.cpuUsage(c0);
  return ((c.user + c.system) * 1000) / n;
}

export async function measureTurnCost(opts: TurnCostOptions): Promise<TurnCostResult> {
  const tmp = tempDir('turn');
  const ours = startOurs(join(tmp.dir, 'ours'), true);
  const raw = startRawOtel();
  const rawCtx = rawParentContext(raw);
  const overhead = timerOverheadNs();
  const runs: { ours: number; raw: number; bare: number; byHand: number; oursCpu: number; rawCpu: number; bareCpu: number }[] = [];
  let rawTurns = 0;
  const rawOne = (): Promise<void> => rawTurn(raw.tracer, rawCtx, ++rawTurns);
  const flushOurs = (): Promise<void> => ours.telemetry.forceFlush();
  const flushRaw = (): Promise<void> => raw.provider.forceFlush();
  const nothing = (): Promise<void> => Promise.resolve();
  try {
    await ours.telemetry.voice.session(async (s) => {
      const ourOne = (): Promise<void> => ourTurn(s);
      const byHandOne = (): Promise<void> => ourTurnByHand(s);
      await timeTurns(ourOne, undefined, opts.warmupTurns, opts.chunk);
      await timeTurns(byHandOne, undefined, opts.warmupTurns, opts.chunk);
      await timeTurns(rawOne, undefined, opts.warmupTurns, opts.chunk);
      await timeTurns(bareTurn, undefined, opts.warmupTurns, opts.chunk);
      for (let rep = 0; rep < opts.repetitions; rep++) {
        const a = new CallTimer(opts.turns, overhead);
        const b = new CallTimer(opts.turns, overhead);
        const c = new CallTimer(opts.turns, overhead);
        const d = new CallTimer(opts.turns, overhead);
        // Subjects take turns chunk by chunk, so machine noise spreads over all three.
        for (let done = 0; done < opts.turns; done += opts.chunk) {
          const k = Math.min(opts.chunk, opts.turns - done);
          await timeTurns(ourOne, a, k, k);
          await timeTurns(rawOne, b, k, k);
          await timeTurns(bareTurn, c, k, k);
          await timeTurns(byHandOne, d, k, k);
        }
        const oursCpu = await cpuPerTurn(ourOne, flushOurs, opts.cpuTurns, opts.chunk);
        const rawCpu = await cpuPerTurn(rawOne, flushRaw, opts.cpuTurns, opts.chunk);
        const bareCpu = await cpuPerTurn(bareTurn, nothing, opts.cpuTurns, opts.chunk);
        runs.push({ ours: a.stats().p50, raw: b.stats().p50, bare: c.stats().p50, byHand: d.stats().p50, oursCpu, rawCpu, bareCpu });
      }
    });
  } finally {
    await ours.shutdown();
    await raw.shutdown();
    tmp.remove();
  }
  if (played === 0) throw new Error('bench: no audio played');
  const m = (f: (r: (typeof runs)[number]) => number): number => median(runs.map(f));
  return {
    turn_ns_p50: m((r) => r.ours - r.bare),
    otel_turn_ns_p50: m((r) => r.raw - r.bare),
    bare_turn_ns_p50: m((r) => r.bare),
    turn_total_ns_p50: m((r) => r.ours),
    otel_turn_total_ns_p50: m((r) => r.raw),
    turn_cpu_ns: m((r) => r.oursCpu),
    otel_turn_cpu_ns: m((r) => r.rawCpu),
    bare_turn_cpu_ns: m((r) => r.bareCpu),
    turn_by_hand_ns_p50: m((r) => r.byHand - r.bare),
  };
}

