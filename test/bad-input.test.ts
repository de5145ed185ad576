import { afterEach, describe, expect, it } from 'vitest';
import { createVoiceEvents } from './helpers/lib.js';
import { DATA_LIMITS, prepareData, redactText } from '../src/events/sanitize.js';
import { makeHarness, type Harness } from './helpers/harness.js';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

const circular: Record<string, unknown> = { name: 'loop' };
circular.self = circular;
let deep: Record<string, unknown> = { leaf: true };
for (let i = 0; i < 40; i++) deep = { next: deep };
const throwingGetter = Object.defineProperty({ ok: 1 }, 'bad', {
  enumerable: true,
  get() {
    throw new Error('getter exploded');
  },
});

describe('data JSON cannot hold is logged safely, never thrown', () => {
  it.each([
    ['BigInt', { n: 12345678901234567890n }, { n: '12345678901234567890' }],
    ['NaN and infinities', { a: NaN, b: Infinity, c: -Infinity }, { a: 'NaN', b: 'Infinity', c: '-Infinity' }],
    ['functions and symbols', { f: function play() {}, s: Symbol('x') }, { f: '[Function play]', s: 'Symbol(x)' }],
    ['undefined is dropped', { u: undefined, k: 1 }, { k: 1 }],
    ['a reference cycle', { c: circular }, { c: { name: 'loop', self: '[Circular]' } }],
    ['Date, Map, Set', { d: new Date(Date.UTC(2025, 0, 1)), m: new Map([['a', 1]]), s: new Set([1, 2]) }, { d: '2025-01-01T00:00:00.000Z', m: { a: 1 }, s: [1, 2] }],
    ['an Error', { e: new RangeError('too far') }, { e: { name: 'RangeError', message: 'too far' } }],
    ['audio buffers are not dumped', { pcm: new Uint8Array(320), raw: Buffer.alloc(16) }, { pcm: '[Uint8Array 320 bytes]', raw: '[Buffer 16 bytes]' }],
    ['a throwing getter', throwingGetter, { ok: 1, bad: '[Unreadable]' }],
    ['non-object data', 'just a string' as unknown, { value: 'just a string' }],
    ['an array as data', [1, 2] as unknown, { value: [1, 2] }],
    [
      'keys named __proto__ (JSON.parse makes such own keys) stay data',
      JSON.parse('{"__proto__":{"x":1},"a":2,"n":{"__proto__":5}}') as unknown,
      JSON.parse('{"__proto__":{"x":1},"a":2,"n":{"__proto__":5}}') as unknown,
    ],
  ])('%s', async (_name, data, expected) => {
    const h = makeHarness();
    harnesses.push(h);
    expect(() => h.voice.logEvent('ODD', data as Record<string, unknown>)).not.toThrow();
    await h.flush();
    expect(h.lines()[0]!.data).toEqual(expected);
    expect(h.spans.getFinishedSpans()[0]!.events[0]!.name).toBe('ODD');
  });

  it('a TTS description with a __proto__ key: TTS_START keeps it as data', async () => {
    const h = makeHarness();
    harnesses.push(h);
    await h.voice.session(async (s) => s.tts(JSON.parse('{"text":"hi","__proto__":{"x":1},"provider":"p"}'), () => undefined));
    await h.flush();
    const start = h.lines().find((l) => l.event_type === 'TTS_START')!;
    expect(JSON.stringify(start.data)).toBe('{"message":"hi","__proto__":{"x":1},"provider":"p","characters":2}');
  });

  it('cuts huge strings, long arrays and deep nesting at documented limits, with markers', () => {
    const out = prepareData({ s: 'x'.repeat(100_000), arr: Array.from({ length: 5000 }, (_, i) => i), deep });
    expect((out.s as string).length).toBeLessThan(DATA_LIMITS.maxStringLength + 40);
    expect(out.s).toMatch(/…\[truncated 91808 chars\]$/);
    expect((out.arr as unknown[]).length).toBe(DATA_LIMITS.maxArrayItems + 1);
    expect((out.arr as unknown[]).at(-1)).toBe('[… 4000 more items]');
    expect(JSON.stringify(out.deep)).toContain('[MaxDepth]');
  });

  it('copies the data when logged: changing the object afterwards does not change the log', async () => {
    const h = makeHarness();
    harnesses.push(h);
    const data = { step: 1, nested: { x: 1 } };
    h.voice.logEvent('SNAP', data);
    data.step = 2;
    data.nested.x = 2;
    await h.flush();
    expect(h.lines()[0]!.data).toEqual({ step: 1, nested: { x: 1 } });
  });
});

describe('redaction (VOICEMODE_EVENT_LOG_REDACT)', () => {
  const said = 'my card number is 4111';
  const spoken = 'Your balance is 12 dollars';

  async function conversation(redact: 'none' | 'text' | 'all') {
    const h = makeHarness();
    harnesses.push(h);
    const voice = createVoiceEvents({ tracer: h.provider.getTracer('r'), redact });
    await voice.session(async (s) => {
      await s.stt({ provider: 'whisper' }, () => said);
      await s.tts({ text: spoken, provider: 'openai', voice: 'alloy' }, async () => undefined);
      s.logEvent('TOOL_REQUEST_START', { tool: 'bank', api_key: 'sk-123', headers: { Authorization: 'Bearer abc' }, note: 'free text' });
    });
    await h.flush();
    const lines = h.lines();
    const spanEvents = h.spans.getFinishedSpans().flatMap((sp) => sp.events);
    return { lines, spanEvents, all: JSON.stringify(lines) + JSON.stringify(spanEvents) };
  }

  it('secrets are always replaced, whatever the mode', async () => {
    for (const mode of ['none', 'text', 'all'] as const) {
      const { lines, all } = await conversation(mode);
      expect(all).not.toContain('sk-123');
      expect(all).not.toContain('Bearer abc');
      expect(lines.find((l) => l.event_type === 'TOOL_REQUEST_START')!.data).toMatchObject({ api_key: '[REDACTED]', headers: { Authorization: '[REDACTED]' } });
    }
  });

  it('none keeps transcripts and messages', async () => {
    const { all } = await conversation('none');
    expect(all).toContain(said);
    expect(all).toContain(spoken);
  });

  it('text replaces transcripts and TTS messages by length and hash, in the file and on the spans', async () => {
    const { lines, spanEvents, all } = await conversation('text');
    expect(all).not.toContain(said);
    expect(all).not.toContain(spoken);
    expect(lines.find((l) => l.event_type === 'STT_COMPLETE')!.data).toEqual({ text: redactText(said), text_length: said.length });
    expect(redactText(said)).toMatch(/^\[redacted len=22 sha256=[0-9a-f]{12}\]$/);
    expect(spanEvents.find((e) => e.name === 'TTS_START')!.attributes).toMatchObject({ message: redactText(spoken), provider: 'openai' });
    expect(all).toContain('free text'); // other fields stay in text mode
  });

  it('all also hides error messages in span statuses, of operations and of sessions', async () => {
    const h = makeHarness();
    harnesses.push(h);
    const voice = createVoiceEvents({ tracer: h.provider.getTracer('r'), redact: 'all' });
    const secret = 'user said: my PIN is 1234';
    await expect(
      voice.session(async (s) => {
        await s.stt({}, () => {
          throw new Error(secret);
        });
      }),
    ).rejects.toThrow(secret);
    await h.flush();
    const statuses = h.spans.getFinishedSpans().map((sp) => sp.status.message ?? '');
    expect(statuses.filter((m) => m !== '')).toHaveLength(2); // the STT span and the session span
    expect(statuses.join(' ')).not.toContain('1234');
  });

  it('all replaces every free-text field but keeps labels', async () => {
    const { lines, all } = await conversation('all');
    expect(all).not.toContain('free text');
    expect(all).not.toContain('bank');
    expect(lines.find((l) => l.event_type === 'TTS_START')!.data).toMatchObject({ provider: 'openai', voice: 'alloy' });
  });
});

describe('nothing but an invalid event type throws into the app', () => {
  it('odd session ids, throwing getters in an operation’s input, odd event type values', async () => {
    const h = makeHarness();
    harnesses.push(h);
    for (const id of [10n, { a: 1 }, '', Symbol('s')]) {
      let s: ReturnType<typeof h.voice.startSession> | undefined;
      expect(() => (s = h.voice.startSession({ id: id as unknown as string }))).not.toThrow();
      expect(s!.id).toMatch(/^conv_/);
      s!.end();
    }
    const input = Object.defineProperty({ provider: 'openai' }, 'text', {
      enumerable: true,
      get() {
        throw new Error('getter exploded');
      },
    });
    await expect(h.voice.tts(input, async () => 'ok')).resolves.toBe('ok');
    for (const bad of [10n, Symbol('x'), () => 1, { type: 'X' }]) {
      expect(() => h.voice.logEvent(bad as unknown as string)).toThrow(TypeError);
      expect(() => h.voice.logEvent(bad as unknown as string)).toThrow(/invalid event type/);
    }
    await h.flush();
    expect(h.lines().find((l) => l.event_type === 'TTS_START')!.data).toEqual({ message: '[Unreadable]', provider: 'openai', characters: 12 });
  });
});
