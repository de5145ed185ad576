import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SPAN_LLM, SPAN_TURN, createVoiceEvents, type Session } from './helpers/lib.js';
import { expectAllowedTree, makeHarness, type Harness } from './helpers/harness.js';

let h: Harness;
beforeEach(() => {
  h = makeHarness();
});
afterEach(async () => {
  await h.cleanup();
});

async function* tokens(words: string[], delayMs = 2): AsyncGenerator<string> {
  for (const w of words) {
    await sleep(delayMs);
    yield w;
  }
}

class QuotaError extends Error {}

const dataOf = (type: string) => h.lines().filter((l) => l.event_type === type).map((l) => l.data as Record<string, unknown>);

describe('the LLM operation', () => {
  it('a streamed reply: LLM_FIRST_TOKEN on the first chunk, LLM_COMPLETE with the text and usage, voice.llm under the turn', async () => {
    const metrics = await h.voice.session(async (s) => {
      await s.record({}, () => sleep(2));
      await s.stt({ provider: 'whisper' }, () => 'hi there');
      let reply = '';
      await s.llm({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 }, async (op) => {
        for await (const t of op.stream(tokens(['Hello', ', ', 'world']))) reply += t;
        op.usage({ input_tokens: 12, output_tokens: 3 });
        op.set({ finish_reason: 'stop' });
      });
      expect(reply).toBe('Hello, world');
      return s.metrics();
    });
    await h.flush();
    const types = h.lines().map((l) => l.event_type);
    expect(types.filter((t) => String(t).startsWith('LLM_'))).toEqual(['LLM_REQUEST', 'LLM_START', 'LLM_FIRST_TOKEN', 'LLM_COMPLETE']);
    expect(dataOf('LLM_START')[0]).toEqual({ provider: 'openai', model: 'gpt-4o-mini', temperature: 0.2 });
    // A callback that returns nothing completes with the text of the string chunks it streamed.
    expect(dataOf('LLM_COMPLETE')[0]).toEqual({ text: 'Hello, world', text_length: 12, input_tokens: 12, output_tokens: 3, finish_reason: 'stop' });

    const spans = h.spans.getFinishedSpans();
    expectAllowedTree(spans);
    const llm = spans.find((s) => s.name === SPAN_LLM)!;
    const parent = spans.find((s) => s.spanContext().spanId === llm.parentSpanContext?.spanId)!;
    expect(parent.name).toBe(SPAN_TURN);
    // The turn rule: the LLM joins the turn the recording opened.
    expect(llm.attributes['turn.number']).toBe(1);
    expect(llm.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 3,
      'gen_ai.response.finish_reasons': ['stop'],
    });
    expect(metrics.metrics.llm_ttft?.count).toBe(1);
    expect(metrics.metrics.llm_duration?.count).toBe(1);
    expect(metrics.metrics.llm_duration!.mean).toBeGreaterThanOrEqual(metrics.metrics.llm_ttft!.mean);
  });

  it('a callback returning { text, usage } completes it; a string is the text', async () => {
    await h.voice.session(async (s) => {
      await s.llm({ provider: 'anthropic', model: 'claude' }, async (op) => {
        op.firstToken();
        return { text: 'Sure.', usage: { input_tokens: 5, output_tokens: 2 }, finish_reason: 'end_turn' };
      });
      const text = await s.llm({ provider: 'anthropic' }, () => 'Plain.');
      expect(text).toBe('Plain.');
    });
    await h.flush();
    expect(dataOf('LLM_COMPLETE')).toEqual([
      { text: 'Sure.', text_length: 5, input_tokens: 5, output_tokens: 2, finish_reason: 'end_turn' },
      { text: 'Plain.', text_length: 6 },
    ]);
  });

  it('an LLM error: LLM_ERROR with the class name, status ERROR, the error rethrown; the retry is a span of its own', async () => {
    let caught: unknown;
    await h.voice.session(async (s) => {
      try {
        await s.llm({ provider: 'openai' }, async () => {
          throw new QuotaError('quota exceeded');
        });
      } catch (err) {
        caught = err;
      }
      await s.llm({ provider: 'openai' }, () => 'ok');
    });
    await h.flush();
    expect(caught).toBeInstanceOf(QuotaError);
    expect(dataOf('LLM_ERROR')).toEqual([{ error_type: 'QuotaError', error_message: 'quota exceeded' }]);
    const llms = h.spans.getFinishedSpans().filter((s) => s.name === SPAN_LLM);
    expect(llms.map((s) => s.status.code)).toEqual([SpanStatusCode.ERROR, SpanStatusCode.UNSET]);
    expect(llms[0]!.attributes['error.type']).toBe('QuotaError');
  });

  it('outside any session it is a root span with session_id null (voice.llm)', async () => {
    const text = await h.voice.llm({ provider: 'openai' }, () => 'standalone');
    expect(text).toBe('standalone');
    await h.flush();
    const line = h.lines().find((l) => l.event_type === 'LLM_COMPLETE')!;
    expect(line.session_id).toBeNull();
    const span = h.spans.getFinishedSpans().find((s) => s.name === SPAN_LLM)!;
    expect(span.parentSpanContext).toBeUndefined();
    expect(span.attributes['gen_ai.conversation.id']).toBeUndefined();
  });

  it('token counts are kept, credentials named like them are not', async () => {
    await h.voice.session(async (s) => {
      s.logEvent('USAGE', { input_tokens: 5, total_tokens: 9, api_tokens: 'abc', access_token: 'xyz', max_token: 'k' });
    });
    await h.flush();
    expect(dataOf('USAGE')[0]).toEqual({ input_tokens: 5, total_tokens: 9, api_tokens: '[REDACTED]', access_token: '[REDACTED]', max_token: '[REDACTED]' });
  });

  it('the reply text is redacted exactly as transcripts are', async () => {
    const voice = createVoiceEvents({ tracer: h.provider.getTracer('t'), redact: 'text' });
    await voice.session(async (s) => {
      await s.stt({}, () => 'my secret plan');
      await s.llm({ provider: 'openai' }, () => 'your secret plan');
    });
    await h.flush();
    expect(String(dataOf('STT_COMPLETE')[0]!.text)).toMatch(/^\[redacted len=14 sha256=/);
    expect(String(dataOf('LLM_COMPLETE')[0]!.text)).toMatch(/^\[redacted len=16 sha256=/);
  });
});

describe('GenAI attributes on every span of a session', () => {
  it('gen_ai.conversation.id everywhere; operation name, provider, model (and voice on TTS) on model calls', async () => {
    let id = '';
    await h.voice.session(async (s: Session) => {
      id = s.id;
      await s.tts({ text: 'hi', provider: 'openai', model: 'tts-1', voice: 'alloy' }, () => undefined);
      await s.record({ transport: 'local' }, () => undefined);
      await s.stt({ provider: 'whisper', model: 'base' }, () => 'yes');
      await s.llm({ provider: 'openai', model: 'gpt' }, () => 'ok');
    });
    await h.flush();
    const spans = h.spans.getFinishedSpans();
    for (const s of spans) expect(s.attributes['gen_ai.conversation.id'], s.name).toBe(id);
    const attrs = (name: string) => spans.find((s) => s.name === name)!.attributes;
    expect(attrs('voice.tts')).toMatchObject({
      'gen_ai.operation.name': 'text_to_speech',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'tts-1',
      'gen_ai.speech.voice': 'alloy',
    });
    expect(attrs('voice.stt')).toMatchObject({ 'gen_ai.operation.name': 'speech_to_text', 'gen_ai.provider.name': 'whisper' });
    expect(attrs('voice.llm')).toMatchObject({ 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt' });
    // A recording is no model call: no GenAI operation.
    expect(attrs('voice.recording')['gen_ai.operation.name']).toBeUndefined();
  });
});

describe('one error rule and inputs that fight back', () => {
  it('a subclass of Error is named by its class on the operation and on SESSION_END alike', async () => {
    class MyErr extends Error {}
    await expect(
      h.voice.session(async (s) => {
        await s.tts({ text: 'x' }, async () => {
          throw new MyErr('tts broke');
        }).catch(() => undefined);
        throw new MyErr('session broke');
      }),
    ).rejects.toBeInstanceOf(MyErr);
    await h.flush();
    expect(dataOf('TTS_ERROR')[0]!.error_type).toBe('MyErr');
    expect(dataOf('SESSION_END')[0]).toMatchObject({ reason: 'error', error_type: 'MyErr' });
  });

  it('revoked or trapping Proxies as info, data, end(data) or session options never throw into the app', async () => {
    const revoked = Proxy.revocable({ provider: 'x' }, {});
    revoked.revoke();
    const trapping = new Proxy({ provider: 'x' } as Record<string, unknown>, {
      ownKeys() {
        throw new Error('ownKeys trap');
      },
      get() {
        throw new Error('get trap');
      },
      getPrototypeOf() {
        throw new Error('getPrototypeOf trap');
      },
    });
    for (const bad of [revoked.proxy, trapping]) {
      const s = h.voice.startSession(bad as never);
      await s.tts(bad as never, (op) => {
        op.firstAudio(bad as never);
        op.playbackStart(bad as never);
      });
      await s.record(bad as never, (op) => op.set(bad as never));
      await s.llm(bad as never, (op) => op.usage(bad as never));
      s.logEvent('CUSTOM', bad as never);
      s.end(bad as never);
    }
    await h.flush();
    const types = h.lines().map((l) => l.event_type);
    // Every event is still logged, with what could be read.
    expect(types.filter((t) => t === 'SESSION_END')).toHaveLength(2);
    expect(types.filter((t) => t === 'CUSTOM')).toHaveLength(2);
    expect(types.filter((t) => t === 'LLM_COMPLETE')).toHaveLength(2);
  });
});

describe('found in review', () => {
  async function* words(list: string[]): AsyncGenerator<string> {
    for (const w of list) {
      await sleep(1);
      yield w;
    }
  }

  it('a callback returning op.stream(...) logs the reply text once', async () => {
    let got = '';
    await h.voice.session(async (s) => {
      for await (const w of s.llm({}, (op) => op.stream(words(['Hello', ' world'])))) got += w;
    });
    await h.flush();
    expect(got).toBe('Hello world');
    expect(dataOf('LLM_COMPLETE')[0]).toMatchObject({ text: 'Hello world', text_length: 11 });
  });

  it('a promise of a stream (an SDK create({ stream: true })) lasts as long as the stream', async () => {
    let got = '';
    await h.voice.session(async (s) => {
      const stream = await s.llm({ provider: 'openai' }, async () => {
        await sleep(2);
        return words(['a', 'b', 'c']);
      });
      for await (const w of stream) got += w;
    });
    await h.flush();
    expect(got).toBe('abc');
    expect(dataOf('LLM_COMPLETE')[0]).toMatchObject({ text: 'abc' });
    const metrics = h.lines().filter((l) => String(l.event_type).startsWith('LLM_')).map((l) => l.event_type);
    expect(metrics).toEqual(['LLM_REQUEST', 'LLM_START', 'LLM_FIRST_TOKEN', 'LLM_COMPLETE']);
  });

  it('a streaming STT: the last partial transcript is the transcript, not "no speech"', async () => {
    await h.voice.session(async (s) => {
      for await (const _p of s.stt({ provider: 'deepgram' }, () => words(['hel', 'hello', 'hello world']))) void _p;
    });
    await h.flush();
    expect(dataOf('STT_COMPLETE')[0]).toMatchObject({ text: 'hello world' });
    expect(dataOf('STT_NO_SPEECH')).toEqual([]);
  });

  it('a wrapped stream iterated twice completes its operation once', async () => {
    await h.voice.session(async (s) => {
      const stream = s.llm({}, () => words(['x']));
      for await (const _ of stream) void _;
      for await (const _ of stream) void _;
    });
    await h.flush();
    expect(dataOf('LLM_COMPLETE')).toHaveLength(1);
  });

  it('playback marked on the session (logEvent) still makes the reply heard', async () => {
    const m = await h.voice.session(async (s) => {
      await s.record({}, () => sleep(1));
      await s.tts({ text: 'hi' }, (op) => op.firstAudio());
      s.logEvent('TTS_PLAYBACK_START');
      s.logEvent('TTS_PLAYBACK_END');
      return s.metrics();
    });
    expect(m.metrics.voice_to_voice?.count).toBe(1);
    expect(m.incomplete.voice_to_voice).toBe(0);
  });

  it('model calls are CLIENT spans, a recording INTERNAL', async () => {
    await h.voice.session(async (s) => {
      await s.record({}, () => undefined);
      await s.llm({}, () => 'ok');
    });
    await h.flush();
    const kind = (name: string) => h.spans.getFinishedSpans().find((s) => s.name === name)!.kind;
    expect(kind('voice.llm')).toBe(SpanKind.CLIENT);
    expect(kind('voice.recording')).toBe(SpanKind.INTERNAL);
  });

  it('the deriver holds state for running operations only: 20,000 unheard standalone TTS calls leave nothing behind', async () => {
    const voice = h.voice;
    await voice.record({}, () => undefined); // a standalone utterance waiting for its reply
    for (let i = 0; i < 20_000; i++) await voice.tts({ text: 'x' }, (op) => op.firstAudio());
    for (let i = 0; i < 2_000; i++) voice.logEvent('TTS_START'); // one-event spans (the spec's EventLogger outside a session)
    const deriver = (voice as unknown as { core: { orphanDeriver: { heldStarts: number } } }).core.orphanDeriver;
    expect(deriver.heldStarts).toBeLessThanOrEqual(8);
  });
});
