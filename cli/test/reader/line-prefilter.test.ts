import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileFilter, globToRegExp, parseWhere, type EventFilter } from '../../src/analysis/filter.js';
import { CandidateLines } from '../../src/reader/candidate-lines.js';
import { discoverFiles } from '../../src/reader/discover.js';
import { linePrefilter } from '../../src/reader/line-prefilter.js';
import { readEvents } from '../../src/reader/read-events.js';
import { tempDir } from '../../../test/helpers/harness.js';
import { generateEventsFile } from '../../../bench/generate-events.js';

/**
 * The selective commands' fast path (issue 14 item 4) against the plain one: lines the
 * prefilter does not look at must be lines that cannot match. Checked on generated lines with
 * the shapes that could fool a text search: escapes (`\u005f`, `\"`), non-ASCII, numbers that
 * compare as text, torn and malformed lines, CRLF, blank lines, and chunk boundaries anywhere.
 */
const SESSIONS = ['conv_1', 'conv_12', 'a"b', 'ü€😀', 'x\\y', ''];
const TYPES = ['TTS_START', 'TTS_FIRST_AUDIO', 'STT_ERROR', 'RECORDING_END', 'CONCH_X', 'TTS_START_2'];

/** One line: well formed with optional escapes and spacing, or broken. */
const lineArb = fc
  .record({
    session: fc.oneof(fc.constantFrom(...SESSIONS, null), fc.string({ maxLength: 6 })),
    type: fc.oneof(fc.constantFrom(...TYPES), fc.string({ minLength: 1, maxLength: 8 })),
    provider: fc.oneof(fc.constantFrom('openai', 'kokoro', '2', 'true'), fc.integer({ min: 0, max: 3 }), fc.constant(null)),
    turn: fc.option(fc.constantFrom(1, 2, 2.0), { nil: undefined }),
    escape: fc.boolean(),
    spaced: fc.boolean(),
    broken: fc.constantFrom('none', 'none', 'none', 'torn', 'garbage', 'blank', 'crlf'),
    cut: fc.nat(),
  })
  .map((r) => {
    const obj: Record<string, unknown> = { timestamp: '2026-01-05T09:00:00.000001Z', event_type: r.type, session_id: r.session, data: { provider: r.provider } };
    if (r.turn !== undefined) obj.turn = r.turn;
    let text = JSON.stringify(obj, null, r.spaced ? 1 : undefined).replace(/\n/g, ' ');
    // the same values spelled with escapes: \u0063 is "c", \u005f is "_"
    if (r.escape) text = text.replace(/c/g, '\\u0063').replace(/_/g, '\\u005f');
    if (r.broken === 'torn') text = text.slice(0, r.cut % text.length);
    if (r.broken === 'garbage') text = `{"timestamp": ${text}`;
    if (r.broken === 'blank') text = '  ';
    if (r.broken === 'crlf') text += '\r';
    return text;
  });

const filterArb = fc.record({
  session: fc.option(fc.oneof(fc.constantFrom(...SESSIONS), fc.string({ maxLength: 3 })), { nil: undefined }),
  typeGlob: fc.option(fc.constantFrom('TTS_START', 'TTS_*', '*_ERROR', 'TTS_?TART*,CONCH_*', '*', 'RECORDING_END,STT_ERROR'), { nil: undefined }),
  where: fc.array(fc.constantFrom('data.provider=openai', 'data.provider=2', 'data.provider=true', 'data.provider=null', 'turn=2', 'data.provider!=kokoro', 'session_id=conv_1'), { maxLength: 2 }),
});

function toFilter(f: { session?: string | undefined; typeGlob?: string | undefined; where: string[] }): EventFilter {
  return { session: f.session, type: f.typeGlob === undefined ? undefined : globToRegExp(f.typeGlob), typeGlob: f.typeGlob, where: f.where.map((w) => parseWhere(w)!) };
}

describe('line prefilter (selective commands)', () => {
  it('never hides a line that matches: same events as parsing every line and filtering', { timeout: 60_000 }, async () => {
    const dir = tempDir('vme-prefilter-');
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(lineArb, { minLength: 1, maxLength: 40 }), filterArb, async (lines, f) => {
        const path = join(dir, `voicemode_events_2026-01-${String((n++ % 28) + 1).padStart(2, '0')}.jsonl`);
        writeFileSync(path, lines.join('\n') + '\n');
        const filter = toFilter(f);
        const pred = compileFilter(filter) ?? (() => true);
        const files = await discoverFiles([path]);
        const plain: string[] = [];
        const plainStats = await readEvents(files, (ev) => void (pred(ev) && plain.push(ev.raw!)), { keepRaw: true });
        const prefilter = linePrefilter(filter);
        const fast: string[] = [];
        const fastStats = await readEvents(files, (ev) => void (pred(ev) && fast.push(ev.raw!)), { keepRaw: true, prefilter });
        expect(fast).toEqual(plain);
        expect(fastStats.prefiltered).toBe(prefilter !== undefined);
        // what was looked at is a part of what the plain path saw
        expect(fastStats.events).toBeLessThanOrEqual(plainStats.events);
        expect(fastStats.skippedLines).toBeLessThanOrEqual(plainStats.skippedLines);
        // with onSkip (--verbose) every line is parsed and counted, prefilter or not
        const verbose = await readEvents(files, () => undefined, { prefilter, onSkip: () => undefined });
        expect(verbose.prefiltered).toBe(false);
        expect(verbose.skippedLines).toBe(plainStats.skippedLines);
        expect(verbose.events).toBe(plainStats.events);
      }),
      { numRuns: 200 },
    );
  });

  it('reads the same events as the plain path from a generated .gz of several chunks', { timeout: 60_000 }, async () => {
    const dir = tempDir('vme-prefilter-gz-');
    const path = join(dir, 'voicemode_events_2026-01-05.jsonl.gz');
    await generateEventsFile(path, { events: 20_000, gzip: true, format: 'mixed', malformedEvery: 501 });
    const files = await discoverFiles([path]);
    // a session of the file (ids end in random hex)
    let session = '';
    await readEvents(files, (ev) => {
      if (ev.sessionId?.startsWith('conv_1767600007_')) session = ev.sessionId;
      return session === '';
    });
    const cases: { session?: string; typeGlob?: string; where: string[]; needles: boolean }[] = [
      { session, where: [], needles: true },
      { typeGlob: 'TTS_*,*_ERROR', where: ['data.provider=kokoro'], needles: true },
      { where: ['turn=2'], needles: false }, // a number: no needle, every line parsed
    ];
    for (const c of cases) {
      const filter = toFilter(c);
      const pred = compileFilter(filter)!;
      const plain: string[] = [];
      await readEvents(files, (ev) => void (pred(ev) && plain.push(ev.raw!)), { keepRaw: true });
      const fast: string[] = [];
      const stats = await readEvents(files, (ev) => void (pred(ev) && fast.push(ev.raw!)), { keepRaw: true, prefilter: linePrefilter(filter) });
      expect(plain.length).toBeGreaterThan(0);
      expect(fast).toEqual(plain);
      expect(stats.prefiltered).toBe(c.needles);
    }
  });

  it('gives the candidate lines of any chunking of the bytes, and the over-long ones', () => {
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 90 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 20, max: 200 }),
        filterArb,
        (lines, cuts, max, f) => {
          const prefilter = linePrefilter(toFilter(f));
          if (!prefilter) return;
          const bytes = Buffer.from(lines.join('\n'));
          const got: string[] = [];
          let long = 0;
          const c = new CandidateLines(prefilter, (l) => got.push(l), () => long++, max);
          for (let p = 0, i = 0; p < bytes.length; i++) {
            const n = cuts[i % cuts.length]!;
            c.push(bytes.subarray(p, p + n));
            p += n;
          }
          c.end();
          // the lines as the file's bytes decode: a torn surrogate pair became U+FFFD on the way to bytes
          const all = bytes.toString('utf8').split('\n');
          if (all.at(-1) === '') all.pop();
          const short = all.filter((l) => Buffer.byteLength(l) <= max);
          expect(got).toEqual(short.filter((l) => prefilter.matches(l)));
          // a long line is reported only if it was looked at: never more than there are
          expect(long).toBeLessThanOrEqual(all.length - short.length);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('turns only what can be read off the text into needles', () => {
    expect(linePrefilter({})).toBeUndefined();
    expect(linePrefilter({ typeGlob: '*' })).toBeUndefined();
    // numbers, booleans, null and objects may be written differently from how they compare
    for (const v of ['2', '1e3', ' 2 ', 'true', 'null', 'NaN', '{"a":1}', '[1]', '']) expect(linePrefilter({ where: [parseWhere(`turn=${v}`)!] }), v).toBeUndefined();
    expect(linePrefilter({ where: [parseWhere('data.provider!=openai')!] })).toBeUndefined();
    const p = linePrefilter({ session: 'conv_1', typeGlob: 'TTS_*', where: [parseWhere('data.provider=openai')!] })!;
    expect(p.matches('{"session_id":"conv_1","event_type":"TTS_START","data":{"provider":"openai"}}')).toBe(true);
    expect(p.matches('{"session_id":"conv_12","event_type":"TTS_START","data":{"provider":"openai"}}')).toBe(false);
    expect(p.matches('{"session_id":"conv\\u005f12","event_type":"X"}')).toBe(true); // escapes: always parsed
  });
});
