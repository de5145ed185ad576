import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { putData } from '../src/events/own-keys.js';
import { prepareData, prepareOwnData, type RedactMode } from '../src/events/sanitize.js';
import { ttsStartData, type TtsInput } from '../src/instrument/handles/tts.js';

/**
 * The package's own event data (TTS_START, LLM_COMPLETE) is made safe in place
 * (`prepareOwnData`) instead of copied by prepareData. It must give exactly what the copy did:
 * same keys, same order, same values, same redaction and size budget.
 */
function builtThenCopied(info: TtsInput, mode: RedactMode): Record<string, unknown> {
  // The previous TTS_START code, kept here as the reference.
  const text = info.text;
  const data: Record<string, unknown> = typeof text === 'string' ? { message: text } : {};
  for (const key of Object.keys(info)) if (key !== 'text') putData(data, key, info[key]);
  if (typeof text === 'string') data.characters = text.length;
  return prepareData(data, mode);
}

const LONG = 'x'.repeat(9000);
const SECRET = 'use sk-abcdefghijklmnopqrstuvwx now';
const value = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(LONG, SECRET, 'It will be sunny tomorrow.', 'Bearer abcdefghijkl', '[redacted len=3 sha256=0123456789ab]'),
  fc.integer(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, 1.5, true, false, null, undefined),
  fc.dictionary(fc.constantFrom('a', 'token', 'text', '__proto__'), fc.string({ maxLength: 10 }), { maxKeys: 3 }),
  fc.array(fc.integer(), { maxLength: 3 }),
);
const key = fc.constantFrom('text', 'message', 'characters', 'provider', 'voice', 'model', 'transport', 'api_key', '__proto__', '0', '7', '12a', 'speed', 'k'.repeat(40));
const info = fc.array(fc.tuple(key, value), { maxLength: 12 }).map((entries) => {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    if (v === undefined) Object.defineProperty(o, k, { value: undefined, enumerable: true, writable: true, configurable: true });
    else putData(o, k, v);
  }
  return o as TtsInput;
});

describe('prepareOwnData: prepareData in place', () => {
  it('gives what prepareData gives, on any plain object of data properties without undefined values (fast-check)', () => {
    fc.assert(
      fc.property(info, fc.constantFrom<RedactMode>('none', 'text', 'all'), (i, mode) => {
        const own: Record<string, unknown> = {};
        for (const k of Object.keys(i)) putData(own, k, (i as Record<string, unknown>)[k]); // the package's own object: no undefined values
        const expected = JSON.stringify(prepareData(own, mode));
        const result = prepareOwnData(own, mode);
        expect(result).toBe(own); // in place
        expect(JSON.stringify(result)).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('TTS_START data, sanitised once', () => {
  it('equals building the object and copying it with prepareData (fast-check, every redaction mode)', () => {
    fc.assert(
      fc.property(info, fc.constantFrom<RedactMode>('none', 'text', 'all'), (i, mode) => {
        const ours = ttsStartData(i, mode);
        const ref = builtThenCopied(i, mode);
        expect(JSON.stringify(ours)).toBe(JSON.stringify(ref));
        expect(Object.getPrototypeOf(ours)).toBe(Object.prototype);
      }),
      { numRuns: 2000 },
    );
  });

  it('keeps the spec layout for the usual description: message first, the rest in order, characters last', () => {
    const data = ttsStartData({ text: 'It will be sunny tomorrow.', provider: 'openai', voice: 'alloy' }, 'none');
    expect(JSON.stringify(data)).toBe('{"message":"It will be sunny tomorrow.","provider":"openai","voice":"alloy","characters":26}');
    expect(ttsStartData({ text: 'hello there', provider: 'openai' }, 'text').message).toMatch(/^\[redacted len=11 sha256=[0-9a-f]{12}\]$/);
  });

  it('stays within the event budget: 10 long values keep the first ones and mark the cut', () => {
    const big: TtsInput = { text: 'hi' };
    for (let i = 0; i < 10; i++) big[`v${i}`] = LONG;
    const data = ttsStartData(big, 'none');
    expect(JSON.stringify(data)).toBe(JSON.stringify(builtThenCopied(big, 'none')));
    expect(Object.values(data)).toContain('[truncated: event data over 65536 characters]');
    expect('characters' in data).toBe(false);
  });
});
