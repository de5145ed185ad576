import { readFileSync } from 'node:fs';
import { beforeEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { isBlank, parseLine } from '../../src/reader/parse-line.js';
import { jsonNumber, LineScanner, SCAN_BLANK, SCAN_OK } from '../../src/reader/scan-line.js';
import { loadScanStage2, R_TS_US, type ScanStage2 } from '../../src/reader/scan-wasm.js';
import { loadSpecialBytes } from '../../src/reader/special-bytes.js';
import { USAGE_NUMBERS, USAGE_TYPES } from '../../src/reader/worker-protocol.js';

/**
 * The byte scanner of the compact reader must agree with the reference path (parse-line.ts):
 * whenever it answers OK, the line is well formed and every field it reports is parseLine's;
 * BLANK only for blank lines. (UNSURE lines go to parseLine itself.)
 */
const scanner = new LineScanner();
const text = (b: Buffer, s: number, e: number): string => b.toString('utf8', s, e);

/**
 * Every test below runs against both scanners the parse worker has: LineScanner's JavaScript
 * (no WebAssembly, VOICEMODE_EVENTS_WASM=off) and its stage 2 in WebAssembly (scan-wasm.ts,
 * built by `npm run build` into dist/reader/scan-line.wasm, over stage 1's copy of the line).
 */
const special = loadSpecialBytes(readFileSync(new URL('../../dist/reader/special-bytes.wasm', import.meta.url)));
const built = special === undefined ? undefined : loadScanStage2(special, readFileSync(new URL('../../dist/reader/scan-line.wasm', import.meta.url)));
/** The built stage 2, counting the lines it was asked to scan. */
let stage2Calls = 0;
const stage2: ScanStage2 | undefined = built === undefined ? undefined : Object.create(built);
if (stage2 !== undefined) (stage2 as { scan: ScanStage2['scan'] }).scan = (s: number, e: number): number => (stage2Calls++, built!.scan(s, e));
let useStage2 = false;
const SCANNERS = [
  ['JavaScript', false],
  ['WebAssembly stage 2', true],
] as const;

function check(line: string): number {
  const buf = Buffer.from(line, 'utf8');
  if (useStage2) scanner.useMarks(buf, special!.index(buf), stage2!);
  else scanner.useMarks(null, null);
  const calls = stage2Calls;
  const r = scanner.scan(buf, 0, buf.length);
  // the scanner asked for took the line
  expect(stage2Calls - calls).toBe(useStage2 ? 1 : 0);
  let ref = line;
  if (ref.endsWith('\r')) ref = ref.slice(0, -1);
  if (r === SCAN_BLANK) expect(ref.length === 0 || isBlank(ref)).toBe(true);
  if (r === SCAN_OK) {
    const ev = parseLine(ref, 0, 1);
    expect(ev, line).toBeDefined();
    expect(scanner.timestampUs).toBe(ev!.timestampUs);
    expect(text(buf, scanner.typeStart, scanner.typeEnd)).toBe(ev!.eventType);
    expect(scanner.sidStart < 0 ? null : text(buf, scanner.sidStart, scanner.sidEnd)).toBe(ev!.sessionId);
    expect(scanner.turn < 0 ? undefined : scanner.turn).toBe(ev!.turn);
    expect(scanner.spanStart < 0 ? undefined : text(buf, scanner.spanStart, scanner.spanEnd)).toBe(ev!.spanId);
    const l = scanner.labels;
    const labels: Record<string, string> = {};
    ['provider', 'model', 'voice', 'transport'].forEach((k, j) => {
      if (l[2 * j]! >= 0) labels[k] = text(buf, l[2 * j]!, l[2 * j + 1]!);
    });
    const want: Record<string, string> = {};
    for (const k of ['provider', 'model', 'voice', 'transport']) if (typeof ev!.data[k] === 'string') want[k] = ev!.data[k] as string;
    expect(labels).toEqual(want);
    expect(scanner.hasLabels).toBe(Object.keys(want).length > 0);
    // the usage numbers of USAGE_TYPES lines (noted during the scan, or by a second walk when
    // data came before event_type): parseLine's numbers, and only numbers
    expect(scanner.usageType).toBe(USAGE_TYPES.has(ev!.eventType)); // what the parse worker reads
    if (USAGE_TYPES.has(ev!.eventType)) {
      const any = scanner.usageNumbers();
      const u = scanner.usage;
      const got: Record<string, number> = {};
      USAGE_NUMBERS.forEach((k, j) => {
        if (u[2 * j]! >= 0) got[k] = Number(text(buf, u[2 * j]!, u[2 * j + 1]!));
      });
      const wantNums: Record<string, number> = {};
      for (const k of USAGE_NUMBERS) if (typeof ev!.data[k] === 'number') wantNums[k] = ev!.data[k] as number;
      expect(got, line).toEqual(wantNums);
      expect(any).toBe(Object.keys(wantNums).length > 0);
    }
  }
  return r;
}

const OURS =
  '{"timestamp":"2026-01-05T09:00:00.003405Z","event_type":"TTS_START","session_id":"conv_1767600001_040806","data":{"message":"Hello!","provider":"openai","model":"tts-1","voice":"alloy","attempt":1},"turn":0,"trace_id":"9dcca8c51255994f8ef917d12c6f5bd0","span_id":"591c9737b4b84b8a"}';
const PY =
  '{"timestamp": "2025-06-23T15:30:45+00:00", "event_type": "TTS_PLAYBACK_END", "session_id": null, "data": {"metrics": {"ttfa_ms": 350, "playback_ms": 1200.5e0}, "transport": "local"}}';

describe.each(SCANNERS)('%s', (_name, wasm) => {
  beforeEach(() => {
    useStage2 = wasm;
  });

  it('loads (the built module, over stage 1\'s memory)', () => {
    expect(stage2).toBeDefined();
  });

  describe('LineScanner agrees with parseLine', () => {
    it('takes the fast path for the usual lines', () => {
      expect(check(OURS)).toBe(SCAN_OK);
      // the same minute again: stage 2 reads the timestamp itself, with the minute it was given
      expect(check(OURS.replace('00.003405Z', '59.999999Z'))).toBe(SCAN_OK);
      if (wasm) expect(stage2!.f64[R_TS_US]).toBe(scanner.timestampUs);
      expect(check(PY)).toBe(SCAN_OK);
      expect(check('{"timestamp":"2025-06-23T15:30:45.5-05:30","event_type":"X","data":null,"turn":3}')).toBe(SCAN_OK);
      expect(check('   \t\r')).toBe(SCAN_BLANK);
    });

    it.each([
      ['torn', OURS.slice(0, 120)],
      ['trailing garbage', OURS + 'x'],
      ['two objects', OURS + OURS],
      ['bad escape', OURS.replace('Hello!', 'Hel\\lo')],
      ['control character in a string', OURS.replace('Hello!', 'Hel\tlo')],
      ['leading zero', OURS.replace('"attempt":1', '"attempt":01')],
      ['bare fraction', OURS.replace('"attempt":1', '"attempt":1.')],
      ['duplicate key, last wins', OURS.replace('"turn":0', '"turn":0,"event_type":"TTS_ERROR","turn":"x","span_id":5')],
      ['duplicate data', OURS.replace('"turn":0', '"turn":0,"data":null')],
      ['usage figures in a data object replaced by a later null data', OURS.replace('"attempt":1', '"attempt":1,"characters":1000').replace('"turn":0', '"turn":0,"data":null')],
      ['usage figures replaced by a later string data', OURS.replace('"attempt":1', '"attempt":1,"characters":1000').replace('"turn":0', '"turn":0,"data":"x"')],
      ['escaped key', OURS.replace('"event_type"', '"event\\u005ftype"')],
      ['escaped label key', OURS.replace('"provider"', '"provid\\u0065r"')],
      ['label not a string', OURS.replace('"provider":"openai"', '"provider":7')],
      ['escaped value', OURS.replace('conv_', 'conv\\u005f')],
      ['unicode session', OURS.replace('conv_', 'cönv_')],
      ['session a number', OURS.replace('"conv_1767600001_040806"', '12')],
      ['data an array', OURS.replace(/"data":\{.*?\},"turn"/, '"data":[1],"turn"')],
      ['turn a float', OURS.replace('"turn":0', '"turn":2.0')],
      ['turn negative', OURS.replace('"turn":0', '"turn":-1')],
      ['turn with exponent', OURS.replace('"turn":0', '"turn":1e2')],
      ['empty span', OURS.replace('591c9737b4b84b8a', '')],
      ['no fraction, offset', OURS.replace('09:00:00.003405Z', '09:00:00+02:00')],
      ['bad timestamp', OURS.replace('2026-01-05T09', '2026-13-05T09')],
      ['BOM', '\ufeff' + OURS],
      ['CRLF', OURS + '\r'],
      ['deep nesting', OURS.replace('"attempt":1', '"attempt":' + '['.repeat(300) + ']'.repeat(300))],
      ['array top level', '[1,2]'],
      ['empty object', '{}'],
    ])('%s', (_name, line) => {
      check(line);
    });

    it('the literals true, false and null with any one byte changed', () => {
      for (const lit of ['true', 'false', 'null']) {
        for (const at of ['"attempt":1', '"turn":0', '"session_id":"conv_1767600001_040806"']) {
          const key = at.slice(0, at.indexOf(':') + 1);
          for (let j = 0; j < lit.length; j++) {
            for (const r of ['x', lit[(j + 1) % lit.length]!, lit[j]!.toUpperCase(), '']) check(OURS.replace(at, key + lit.slice(0, j) + r + lit.slice(j + 1)));
          }
          // a session id that is not a string or null: the reference path (it skips the line)
          if (key !== '"session_id":' || lit === 'null') expect(check(OURS.replace(at, key + lit))).toBe(SCAN_OK);
        }
      }
    });

    it('generated lines and their mutations', () => {
      const str = fc.oneof(fc.constantFrom('openai', 'a"b', 'x\\y', 'ü', '', 'tts-1', '\u2028'), fc.string({ maxLength: 6 }));
      const value = fc.oneof(str, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }));
      const line = fc.record(
        {
          timestamp: fc.oneof(
            fc.constantFrom('2026-01-05T09:00:00.003405Z', '2025-06-23T15:30:45+00:00', '2025-06-23T15:30:45.1-07:00', 'yesterday', '2025-06-23 15:30:45'),
            fc.integer({ min: 0, max: 2 }),
          ),
          event_type: fc.oneof(fc.constantFrom('TTS_START', 'STT_START', 'LLM_COMPLETE', 'LLM_START', 'SESSION_END', ''), fc.constant(null)),
          session_id: fc.oneof(fc.constantFrom('conv_1', 's2', 'ü3'), fc.constant(null), fc.integer()),
          data: fc.oneof(
            fc.dictionary(fc.constantFrom('provider', 'model', 'voice', 'transport', 'text', 'metrics', 'characters', 'audio_s', 'input_tokens', 'output_tokens'), value),
            fc.constant(null),
            fc.constant([]),
          ),
          turn: fc.oneof(fc.integer({ min: -2, max: 5 }), fc.constant(1.5), str),
          span_id: fc.oneof(str, fc.integer()),
          trace_id: str,
        },
        { requiredKeys: [] },
      );
      fc.assert(
        fc.property(line, fc.integer({ min: 0, max: 400 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 255 }), (obj, cut, how, byte) => {
          // how 5: data first (before event_type: the usage numbers are then found by a second walk)
          const ordered = how === 5 && 'data' in obj ? { data: obj.data, ...obj } : obj;
          const full = JSON.stringify(ordered, null, how === 4 ? 1 : undefined);
          const variants = [full, full.slice(0, cut)];
          if (full.length > 0) {
            const at = cut % full.length;
            variants.push(full.slice(0, at) + String.fromCharCode(byte) + full.slice(at + 1));
            variants.push(full.slice(0, at) + full.slice(at + 1));
          }
          for (const v of variants) if (!v.includes('\n')) check(v);
        }),
        { numRuns: 3000 },
      );
    });
  });

  describe('LineScanner: the word compares of keys and the fixed-place timestamp', () => {
    // keys are compared as words (literals at the call sites): a key one byte off must not pass for
    // the field, and the field's own key must be found (a wrong literal would lose or misread it)
    const LINE = JSON.stringify({
      timestamp: '2026-01-05T09:00:00.003405Z',
      event_type: 'LLM_COMPLETE',
      session_id: 'conv_1',
      data: { provider: 'openai', model: 'tts-1', voice: 'alloy', transport: 'local', characters: 32, audio_s: 1.5, input_tokens: 7, output_tokens: 9 },
      turn: 2,
      trace_id: 't',
      span_id: 'abc',
    });
    const TOP = ['timestamp', 'event_type', 'session_id', 'data', 'turn', 'span_id'];
    const DATA = ['provider', 'model', 'voice', 'transport', 'characters', 'audio_s', 'input_tokens', 'output_tokens'];

    it('finds every key it reads on the fast path', () => {
      expect(check(LINE)).toBe(SCAN_OK);
      expect(scanner.turn).toBe(2);
      expect(scanner.usageNumbers()).toBe(true);
      expect([...scanner.usage].every((v) => v >= 0)).toBe(true);
      expect([...scanner.labels].every((v) => v >= 0)).toBe(true);
    });

    it.each([...TOP, ...DATA])('%s with any one byte changed is not taken for it', (key) => {
      const base = LINE;
      const at = base.indexOf(`"${key}":`) + 1;
      expect(at).toBeGreaterThan(0);
      for (let j = 0; j < key.length; j++) {
        // a letter's case, a neighbour, and the byte with its lowest bit flipped
        const c = key.charCodeAt(j);
        for (const r of new Set([c ^ 0x20, c + 1, c - 1, c ^ 1])) {
          if (r < 0x20 || r > 0x7e || r === 0x22 || r === 0x5c) continue;
          check(base.slice(0, at + j) + String.fromCharCode(r) + base.slice(at + j + 1));
        }
      }
    });

    it('reads timestamps in our writer\'s form, and every one-byte change of them, as parseLine does', () => {
      const two = (n: number): string => String(n).padStart(2, '0');
      const ts = fc
        .record({
          y: fc.integer({ min: 1970, max: 2099 }),
          mo: fc.integer({ min: 1, max: 12 }),
          d: fc.integer({ min: 1, max: 28 }),
          h: fc.integer({ min: 0, max: 23 }),
          mi: fc.integer({ min: 0, max: 59 }),
          s: fc.integer({ min: 0, max: 59 }),
          us: fc.integer({ min: 0, max: 999_999 }),
        })
        .map(({ y, mo, d, h, mi, s, us }) => `${y}-${two(mo)}-${two(d)}T${two(h)}:${two(mi)}:${two(s)}.${String(us).padStart(6, '0')}Z`);
      const printable = fc.integer({ min: 0x20, max: 0x7e }).filter((c) => c !== 0x22 && c !== 0x5c);
      // the bytes next to the digits' range and the separators, at every place, and one random byte
      const near = '/:09.Z+-zT ,';
      fc.assert(
        fc.property(ts, printable, (t, c) => {
          const mk = (v: string): string => `{"timestamp":"${v}","event_type":"X","data":{}}`;
          expect(check(mk(t))).toBe(SCAN_OK);
          expect(scanner.timestampUs).toBe(Date.parse(t) * 1000 + (Number(t.slice(20, 26)) % 1000));
          for (let at = 0; at < t.length; at++) {
            for (const r of near + String.fromCharCode(c)) check(mk(t.slice(0, at) + r + t.slice(at + 1)));
          }
        }),
        { numRuns: 200 },
      );
    });
  });
});

describe('jsonNumber: a usage figure read in place', () => {
  it('gives what JSON.parse gives for any JSON number (plain decimals by the fast path)', () => {
    const read = (text: string): number => {
      const buf = Buffer.from(` ${text} `);
      return jsonNumber(buf, 1, buf.length - 1);
    };
    const decimal = fc
      .tuple(fc.bigInt({ min: 0n, max: 10n ** 17n }), fc.integer({ min: 0, max: 18 }), fc.integer({ min: 0, max: 3 }))
      .map(([digits, point, zeros]) => {
        const d = '0'.repeat(zeros) + digits.toString();
        const p = Math.min(point, d.length - 1);
        const text = p === 0 ? d : `${d.slice(0, d.length - p)}.${d.slice(d.length - p)}`;
        return text.replace(/^0+(?=\d)/, ''); // JSON has no leading zeros
      });
    const json = fc.oneof(decimal, fc.double({ noNaN: true, noDefaultInfinity: true }).map((v) => JSON.stringify(v)), fc.constantFrom('0', '-0', '1e2', '-0.0', '12.5E-3', '9007199254740993', '0.1', '123456789012345.6'));
    fc.assert(
      fc.property(json, (text) => {
        expect(Object.is(read(text), JSON.parse(text) as number), text).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });
});
