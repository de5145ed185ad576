import { join } from 'node:path';
import type { Context, Span, Tracer } from '@opentelemetry/api';
import type { Session } from '../src/index.js';
import { CallTimer, median, tempDir, timerOverheadNs, yieldToLoop } from './harness.js';
import { rawParentContext, startOurs, startRawOtel } from './subjects.js';

/**
 * Item 3: the caller's cost of one wrapped TTS operation with its five events
 * (TTS_REQUEST, TTS_START, TTS_FIRST_AUDIO, TTS_PLAYBACK_START, TTS_PLAYBACK_END) and its span,
 * against the same by hand in raw OpenTelemetry: `startActiveSpan` under the session's span,
 * the same five events and the same span attributes (ours and the GenAI ones), `end()`. The
 * LLM operation (four events, usage) is measured the same way beside it. The TTS "work" is empty and
 * synchronous, so only the instrumentation is timed. Both run in a session, chunk by chunk in
 * turns, with the event loop running between chunks.
 */

export interface OpCostOptions {
  ops: number;
  repetitions: number;
  chunk: number;
  warmupOps: number;
}

export interface OpCostResult {
  op_ns_p50: number;
  op_ns_p99: number;
  otel_op_ns_p50: number;
  otel_op_ns_p99: number;
  /** Ours when startTelemetry has no metrics reader configured (no MeterProvider). */
  op_no_meter_ns_p50: number;
  op_no_meter_ns_p99: number;
  /** The LLM operation (four events, usage on the span) beside TTS, against its raw-OTel twin. */
  llm_op_ns_p50: number;
  otel_llm_op_ns_p50: number;
}

const TEXT = 'It will be sunny tomorrow.';

/** One kind's operation, ours and by hand in raw OpenTelemetry (the same span, attributes and events). */
interface OpPair {
  ours: (s: Session) => void;
  raw: (tracer: Tracer, parent: Context, sessionId: string) => void;
}

const TTS: OpPair = {
  ours: (s) => {
    void s.tts({ text: TEXT, provider: 'openai', voice: 'alloy' }, (op) => {
      op.firstAudio();
      op.playbackStart();
      op.playbackEnd();
    });
  },
  raw: (tracer, parent, sessionId) =>
    tracer.startActiveSpan(
      'voice.tts',
      {
        attributes: {
          'session.id': sessionId,
          'gen_ai.conversation.id': sessionId,
          'turn.number': 0,
          'gen_ai.operation.name': 'text_to_speech',
          'voice.provider': 'openai',
          'gen_ai.provider.name': 'openai',
          'voice.voice': 'alloy',
          'gen_ai.speech.voice': 'alloy',
          'voice.text_length': TEXT.length,
        },
      },
      parent,
      (span: Span) => {
        span.addEvent('TTS_REQUEST', { text_length: TEXT.length });
        span.addEvent('TTS_START', { message: TEXT, provider: 'openai', voice: 'alloy' });
        span.addEvent('TTS_FIRST_AUDIO');
        span.addEvent('TTS_PLAYBACK_START');
        span.addEvent('TTS_PLAYBACK_END');
        span.end();
      },
    ),
};

const LLM: OpPair = {
  ours: (s) => {
    void s.llm({ provider: 'openai', model: 'gpt-4o-mini' }, (op) => {
      op.firstToken();
      op.usage({ input_tokens: 200, output_tokens: 40 });
      return TEXT;
    });
  },
  raw: (tracer, parent, sessionId) =>
    tracer.startActiveSpan(
      'voice.llm',
      {
        attributes: {
          'session.id': sessionId,
          'gen_ai.conversation.id': sessionId,
          'turn.number': 0,
          'gen_ai.operation.name': 'chat',
          'voice.provider': 'openai',
          'gen_ai.provider.name': 'openai',
          'voice.model': 'gpt-4o-mini',
          'gen_ai.request.model': 'gpt-4o-mini',
        },
      },
      parent,
      (span: Span) => {
        span.addEvent('LLM_REQUEST');
        span.addEvent('LLM_START', { provider: 'openai', model: 'gpt-4o-mini' });
        span.addEvent('LLM_FIRST_TOKEN');
        span.addEvent('LLM_COMPLETE', { text: TEXT, text_length: TEXT.length, input_tokens: 200, output_tokens: 40 });
        span.setAttributes({ 'gen_ai.usage.input_tokens': 200, 'gen_ai.usage.output_tokens': 40 });
        span.end();
      },
    ),
};

export async function measureOpCost(opts: OpCostOptions): Promise<OpCostResult> {
  const full = await opCostPass(opts, true, TTS);
  const noMeter = await opCostPass({ ...opts, repetitions: Math.max(1, Math.ceil(opts.repetitions / 2)) }, false, TTS);
  const llm = await opCostPass({ ...opts, repetitions: Math.max(1, Math.ceil(opts.repetitions / 2)) }, true, LLM);
  return {
    op_ns_p50: median(full.ours.map((r) => r.p50)),
    op_ns_p99: median(full.ours.map((r) => r.p99)),
    otel_op_ns_p50: median(full.raw.map((r) => r.p50)),
    otel_op_ns_p99: median(full.raw.map((r) => r.p99)),
    op_no_meter_ns_p50: median(noMeter.ours.map((r) => r.p50)),
    op_no_meter_ns_p99: median(noMeter.ours.map((r) => r.p99)),
    llm_op_ns_p50: median(llm.ours.map((r) => r.p50)),
    otel_llm_op_ns_p50: median(llm.raw.map((r) => r.p50)),
  };
}

async function opCostPass(
  opts: OpCostOptions,
  withMeters: boolean,
  pair: OpPair,
): Promise<{ ours: { p50: number; p99: number }[]; raw: { p50: number; p99: number }[] }> {
  const tmp = tempDir('op');
  const ours = startOurs(join(tmp.dir, 'ours'), withMeters);
  const raw = startRawOtel();
  const rawCtx = rawParentContext(raw);
  const overhead = timerOverheadNs();
  const ourRuns: { p50: number; p99: number }[] = [];
  const rawRuns: { p50: number; p99: number }[] = [];
  const rawOp = (): void => pair.raw(raw.tracer, rawCtx, 'conv_1796000000000_abcdef');

  try {
    await ours.telemetry.voice.session(async (s) => {
      const ourOp = (): void => pair.ours(s);
      const run = async (fn: () => void, timer: CallTimer | undefined, n: number): Promise<void> => {
        for (let done = 0; done < n; done += opts.chunk) {
          const k = Math.min(opts.chunk, n - done);
          if (timer) timer.run(k, fn);
          else for (let i = 0; i < k; i++) fn();
          await yieldToLoop();
        }
      };
      await run(ourOp, undefined, opts.warmupOps);
      await run(rawOp, undefined, opts.warmupOps);
      for (let rep = 0; rep < opts.repetitions; rep++) {
        const a = new CallTimer(opts.ops, overhead);
        const b = new CallTimer(opts.ops, overhead);
        for (let done = 0; done < opts.ops; done += opts.chunk) {
          const k = Math.min(opts.chunk, opts.ops - done);
          await run(ourOp, a, k);
          await run(rawOp, b, k);
        }
        ourRuns.push(a.stats());
        rawRuns.push(b.stats());
      }
    });
  } finally {
    await ours.shutdown();
    await raw.shutdown();
    tmp.remove();
  }
  return { ours: ourRuns, raw: rawRuns };
}
