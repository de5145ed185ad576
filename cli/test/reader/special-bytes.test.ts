import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseLine } from '../../src/reader/parse-line.js';
import { LineScanner, SCAN_OK } from '../../src/reader/scan-line.js';
import { loadSpecialBytes, marksRight, MAX_MARKED_BYTES, SpecialBytes } from '../../src/reader/special-bytes.js';
import { loadScanStage2, type ScanStage2 } from '../../src/reader/scan-wasm.js';
import { USAGE_TYPES } from '../../src/reader/worker-protocol.js';
// the built reader: its parse workers run dist/reader/parse-worker.js with dist/reader/special-bytes.wasm
import { loadSpecialBytes as loadBuilt } from '../../dist/reader/special-bytes.js';
import { loadScanStage2 as loadBuiltStage2 } from '../../dist/reader/scan-wasm.js';
import { readEvents } from '../../dist/reader/read-events.js';
import { discoverFiles } from '../../dist/reader/discover.js';
import type { FileEvent } from '../../src/reader/parse-line.js';

/**
 * Stage 1 of the byte scanner (special-bytes.wat, built by `npm run build` into
 * dist/reader/special-bytes.wasm): its marks are exactly the special string bytes, and the
 * scanner with them answers what it answers without them (and so what parseLine gives), on any
 * line at any offset in a buffer, torn or not. Without the module the worker's output is the same.
 */
const WASM = new URL('../../dist/reader/special-bytes.wasm', import.meta.url);
const WASM2 = new URL('../../dist/reader/scan-line.wasm', import.meta.url);
let special: SpecialBytes;
/** Stage 2 in WebAssembly (scan-wasm.ts), over stage 1's memory. */
let stage2: ScanStage2;

beforeAll(() => {
  const s = loadSpecialBytes(readFileSync(WASM));
  expect(s, 'the built module loads (WebAssembly SIMD)').toBeDefined();
  special = s!;
  const s2 = loadScanStage2(special, readFileSync(WASM2));
  expect(s2, 'the built stage 2 loads').toBeDefined();
  stage2 = s2!;
});

/** The marks of `buf` (they always fit here). */
function marksOf(buf: Uint8Array): Uint32Array {
  const marks = special.index(buf);
  expect(marks).not.toBeNull();
  return marks!;
}

const isSpecial = (b: number): boolean => b === 34 || b === 92 || b < 32 || b >= 128;

describe('stage 1 marks', () => {
  it('marks exactly the quotes, backslashes, control and non-ASCII bytes, and the padding after the buffer', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 255 }), (bytes, bias) => {
        // many plain bytes with a few specials, or anything
        const buf = Buffer.from(bytes.map((b) => (bias < 128 && b > 40 ? 97 + (b % 26) : b)));
        const marks = marksOf(buf);
        const padded = (buf.length + 32) & ~31;
        expect(marks.length).toBe(padded / 32);
        for (let i = 0; i < padded; i++) {
          const bit = (marks[i >>> 5]! >>> (i & 31)) & 1;
          expect(bit, `byte ${i} of ${buf.length}`).toBe(i >= buf.length || isSpecial(buf[i]!) ? 1 : 0);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('grows its memory for a buffer larger than it holds, and marks the last bytes of it', () => {
    const big = Buffer.alloc(MAX_MARKED_BYTES, 97); // the largest marked: the memory grows for it
    big[big.length - 1] = 34;
    big[(1 << 20) + 5] = 200;
    const marks = marksOf(big);
    const at = (i: number): number => (marks[i >>> 5]! >>> (i & 31)) & 1;
    expect(at(big.length - 1)).toBe(1);
    expect(at(big.length - 2)).toBe(0);
    expect(at((1 << 20) + 5)).toBe(1);
    expect(at(big.length)).toBe(1);
  });
});

/** Everything the scanner reports for a line (the usage numbers asked as the worker asks them). */
function outcome(scanner: LineScanner, buf: Buffer, s: number, e: number): unknown[] {
  const r = scanner.scan(buf, s, e);
  if (r !== SCAN_OK) return [r];
  const typ = buf.toString('latin1', scanner.typeStart, scanner.typeEnd);
  const usage = USAGE_TYPES.has(typ) ? [scanner.usageNumbers(), ...scanner.usage] : [];
  return [r, scanner.timestampUs, scanner.typeStart, scanner.typeEnd, scanner.sidStart, scanner.sidEnd, scanner.turn, scanner.spanStart, scanner.spanEnd, ...scanner.labels, scanner.hasLabels, scanner.dataStart, scanner.dataEnd, ...usage];
}

const plain = new LineScanner();
const marked = new LineScanner();
const staged = new LineScanner();

/**
 * Scans `buf[s, e)` without the marks of the whole buffer, with them, and with them and stage 2
 * in WebAssembly (the buffer's copy in the module's memory): the same answers; an OK line is parseLine's.
 */
function agree(buf: Buffer, marks: Uint32Array, s: number, e: number): number {
  plain.useMarks(null, null);
  marked.useMarks(buf, marks);
  staged.useMarks(buf, marks, stage2);
  const want = outcome(plain, buf, s, e);
  const got = outcome(marked, buf, s, e);
  expect(got, buf.toString('utf8', s, e)).toEqual(want);
  expect(outcome(staged, buf, s, e), buf.toString('utf8', s, e)).toEqual(want);
  if (got[0] === SCAN_OK) {
    const ev = parseLine(buf.toString('utf8', s, e), 0, 1);
    expect(ev).toBeDefined();
    expect(marked.timestampUs).toBe(ev!.timestampUs);
    expect(buf.toString('utf8', marked.typeStart, marked.typeEnd)).toBe(ev!.eventType);
    expect(marked.sidStart < 0 ? null : buf.toString('utf8', marked.sidStart, marked.sidEnd)).toBe(ev!.sessionId);
    expect(marked.spanStart < 0 ? undefined : buf.toString('utf8', marked.spanStart, marked.spanEnd)).toBe(ev!.spanId);
  }
  return got[0] as number;
}

const OURS =
  '{"timestamp":"2026-01-05T09:00:00.003405Z","event_type":"TTS_START","session_id":"conv_1767600001_040806","data":{"message":"Hello! How can I help you today?","provider":"openai","model":"tts-1","voice":"alloy","attempt":1,"characters":32},"turn":0,"trace_id":"9dcca8c51255994f8ef917d12c6f5bd0","span_id":"591c9737b4b84b8a"}';
const ODD = [
  OURS,
  OURS.replace('Hello!', 'He said \\"hi\\" \\\\ \\u00e9\\n'),
  OURS.replace('Hello!', 'Hé — ✓ 😀'),
  OURS.replace('conv_', 'cönv_'),
  OURS.replace('Hello!', 'Hel\tlo'),
  OURS.replace('Hello!', 'Hel\u0001lo'),
  OURS.replace('Hello!', 'bad \\x escape'),
  OURS.replace('Hello!', 'torn \\u12'),
  OURS.replace('"event_type"', '"event\\u005ftype"'),
  OURS.replace('"provider"', '"provid\\u0065r"'),
  OURS.replace('"data":{', '"data":{"a":"' + 'x'.repeat(100) + '\\\\",'),
  '{"timestamp": "2025-06-23T15:30:45+00:00", "event_type": "TTS_PLAYBACK_END", "session_id": null, "data": {"metrics": {"ttfa_ms": 350}, "transport": "local"}}',
];

describe('the scanner with stage 1 agrees with the plain scanner and parseLine', () => {
  it('odd lines at every offset of a 64-byte window (16- and 32-byte boundaries), whole and torn', () => {
    for (const line of ODD) {
      for (let off = 0; off < 64; off++) {
        const buf = Buffer.from('y'.repeat(off) + '\n' + line + '\n' + line);
        const marks = marksOf(buf);
        const s = off + 1;
        const e = s + Buffer.byteLength(line);
        agree(buf, marks, s, e);
        agree(buf, marks, e + 1, buf.length); // the last line, ending at the buffer's end
        for (const cut of [1, 13, 14, 15, 16, 17, 31, 32, 33, 60, e - s - 2, e - s - 1]) if (cut < e - s) agree(buf, marks, s, s + cut);
      }
    }
    // the lines are as expected: some fast, some not
    const buf = Buffer.from(ODD[1]!);
    expect(agree(buf, marksOf(buf), 0, buf.length)).toBe(SCAN_OK);
  });

  it('generated lines, their mutations and tears, side by side in one buffer', () => {
    const str = fc.oneof(
      fc.constantFrom('openai', 'a"b', 'x\\y', 'ü', '', 'tts-1', '\u2028', 'conv_1767600001_040806', 'abcdefghijklmnopqrstuvwxyz0123456789ABCDEF'),
      fc.string({ maxLength: 40 }),
      fc.string({ maxLength: 40, unit: 'binary' }),
    );
    const value = fc.oneof(str, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constant(null), fc.boolean(), fc.array(str, { maxLength: 3 }));
    const line = fc.record(
      {
        timestamp: fc.oneof(fc.constantFrom('2026-01-05T09:00:00.003405Z', '2025-06-23T15:30:45+00:00', 'yesterday'), fc.integer({ min: 0, max: 2 })),
        event_type: fc.oneof(fc.constantFrom('TTS_START', 'STT_START', 'LLM_COMPLETE', 'SESSION_END', ''), str),
        session_id: fc.oneof(fc.constantFrom('conv_1', 'ü3'), str, fc.constant(null)),
        data: fc.oneof(
          fc.dictionary(fc.oneof(fc.constantFrom('provider', 'model', 'voice', 'transport', 'text', 'characters', 'input_tokens'), str), value),
          fc.constant(null),
        ),
        turn: fc.oneof(fc.integer({ min: -2, max: 5 }), str),
        span_id: fc.oneof(str, fc.integer()),
        trace_id: str,
      },
      { requiredKeys: ['timestamp', 'event_type'] },
    );
    const mutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(fc.tuple(line, mutation), { minLength: 1, maxLength: 6 }), fc.nat({ max: 63 }), (items, lead) => {
        const parts: Buffer[] = [Buffer.from('z'.repeat(lead))];
        for (const [obj, m] of items) {
          let b = Buffer.from(JSON.stringify(obj));
          const at = m.at % b.length;
          // 0: as is; 1: a byte replaced (any byte, so invalid UTF-8 and raw controls too); 2: a byte removed; 3: torn
          if (m.kind === 1) b[at] = m.byte === 10 ? 11 : m.byte;
          else if (m.kind === 2) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
          else if (m.kind === 3) b = b.subarray(0, at);
          parts.push(Buffer.from('\n'), b);
        }
        const buf = Buffer.concat(parts);
        const marks = marksOf(buf);
        for (let s = lead + 1; s <= buf.length; ) {
          let e = buf.indexOf(10, s);
          if (e < 0) e = buf.length;
          agree(buf, marks, s, e);
          s = e + 1;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a scanner given marks of another buffer scans byte by byte (marks belong to one buffer)', () => {
    const a = Buffer.from(OURS);
    const b = Buffer.from(OURS.replace('Hello!', 'Hel"lo'));
    marked.useMarks(a, marksOf(a));
    staged.useMarks(a, marksOf(a), stage2); // stage 2 holds a's bytes, not b's: not asked for b
    plain.useMarks(null, null);
    expect(outcome(marked, b, 0, b.length)).toEqual(outcome(plain, b, 0, b.length));
    expect(outcome(staged, b, 0, b.length)).toEqual(outcome(plain, b, 0, b.length));
  });

  it('stage 2 knows the string table ids it was given, for the same bytes only, until it forgets them', () => {
    const s1 = loadSpecialBytes(readFileSync(WASM))!;
    const s2 = loadScanStage2(s1, readFileSync(WASM2))!;
    const scanner = new LineScanner();
    const scan = (line: string): LineScanner => {
      const buf = Buffer.from('x\n' + line); // another place in the chunk each time
      scanner.useMarks(buf, s1.index(buf), s2);
      expect(scanner.scan(buf, 2, buf.length)).toBe(SCAN_OK);
      return scanner;
    };
    const ids = (sc: LineScanner): number[] => [sc.typeId, sc.sidId, sc.labelsId];
    let sc = scan(OURS);
    expect(ids(sc)).toEqual([-1, -1, -1]);
    sc.remember(sc.typeStart, sc.typeEnd, 7);
    sc.remember(sc.sidStart, sc.sidEnd, 9);
    sc.rememberLabels(11);
    expect(ids(scan(' ' + OURS))).toEqual([7, 9, 11]);
    // other bytes: not known (a label set is known by every label's bytes and its place)
    expect(ids(scan(OURS.replace('"TTS_START"', '"TTS_STARX"').replace('conv_1767600001_040806', 'conv_1767600001_040807')))).toEqual([-1, -1, 11]);
    expect(ids(scan(OURS.replace('"model":"tts-1"', '"model":"tts-2"')))[2]).toBe(-1);
    expect(ids(scan(OURS.replace('"openai","model":"tts-1"', '"openait","model":"ts-1"')))[2]).toBe(-1);
    expect(ids(scan(OURS.replace('"voice":"alloy"', '"voice":null')))[2]).toBe(-1);
    expect(ids(scan(OURS.replace('"voice":"alloy"', '"transport":"alloy"')))[2]).toBe(-1);
    // a line without labels or session
    expect(ids(scan('{"timestamp":"2026-01-05T09:00:00.003405Z","event_type":"TTS_START","data":{}}'))).toEqual([7, -1, -1]);
    // the JS table started afresh: so does the cache
    s2.forget();
    expect(ids(scan(OURS))).toEqual([-1, -1, -1]);
    // a line scanned by the JavaScript (no marks) teaches the cache nothing
    const buf = Buffer.from(OURS);
    scanner.useMarks(null, null);
    scanner.scan(buf, 0, buf.length);
    scanner.remember(scanner.typeStart, scanner.typeEnd, 5);
    expect(ids(scan(OURS))).toEqual([-1, -1, -1]);
  });

  it('stage 2 stops learning when its cache is full, and still answers (known ids, misses)', () => {
    const s1 = loadSpecialBytes(readFileSync(WASM))!;
    const s2 = loadScanStage2(s1, readFileSync(WASM2))!;
    const scanner = new LineScanner();
    const sid = (n: number): LineScanner => {
      const line = `{"timestamp":"2026-01-05T09:00:00.003405Z","event_type":"X","session_id":"s${n}","data":{}}`;
      const buf = Buffer.from(line);
      scanner.useMarks(buf, s1.index(buf), s2);
      expect(scanner.scan(buf, 0, buf.length)).toBe(SCAN_OK);
      return scanner;
    };
    // more distinct ids than the cache has entries (8,192), fewer than its hash slots (16,384):
    // without the entry limit, entries past it are written over the bytes of the first ones
    // (and past 16,384 an insert's probe would never end: a hang, not a failure, so not tested)
    const N = 9_000;
    for (let n = 0; n < N; n++) {
      const sc = sid(n);
      sc.remember(sc.sidStart, sc.sidEnd, n);
    }
    expect(sid(0).sidId).toBe(0);
    expect(sid(8_000).sidId).toBe(8_000);
    // past the limit: not learnt, looked up in the JS table
    expect(sid(N - 1).sidId).toBe(-1);
    expect(sid(N + 5).sidId).toBe(-1);
    // forgetting makes room again
    s2.forget();
    const sc = sid(N + 5);
    sc.remember(sc.sidStart, sc.sidEnd, 3);
    expect(sid(N + 5).sidId).toBe(3);
  });

  it("marks of another stage 1's memory are not given to stage 2: the line is scanned by the JS, with the same answers", () => {
    const other = loadSpecialBytes(readFileSync(WASM))!;
    const buf = Buffer.from('x\n' + OURS);
    const foreign = other.index(buf)!;
    const staged = new LineScanner();
    staged.useMarks(buf, foreign, stage2);
    const plain = new LineScanner();
    plain.useMarks(null, null);
    expect(staged.scan(buf, 2, buf.length)).toBe(SCAN_OK);
    plain.scan(buf, 2, buf.length);
    expect([staged.timestampUs, staged.typeStart, staged.sidStart, staged.turn, staged.spanStart]).toEqual([
      plain.timestampUs,
      plain.typeStart,
      plain.sidStart,
      plain.turn,
      plain.spanStart,
    ]);
    // the JS scanner took it: stage 2 answered no cached ids
    expect(staged.typeId).toBe(-1);
  });

  it('a stage 2 that traps is not used again: the line and the later ones are scanned by the JS', () => {
    const s1 = loadSpecialBytes(readFileSync(WASM))!;
    const real = loadScanStage2(s1, readFileSync(WASM2))!;
    const broken = Object.create(real) as ScanStage2;
    let calls = 0;
    (broken as { scan: ScanStage2['scan'] }).scan = (): number => {
      calls++;
      throw new Error('RuntimeError: unreachable');
    };
    const scanner = new LineScanner();
    plain.useMarks(null, null);
    for (const line of [OURS, ODD[1]!, OURS]) {
      const buf = Buffer.from(line);
      scanner.useMarks(buf, s1.index(buf), broken);
      expect(outcome(scanner, buf, 0, buf.length)).toEqual(outcome(plain, buf, 0, buf.length));
    }
    expect(calls).toBe(1);
    expect(broken.failed).toBe(true);
  });

  it('stage 2 keeps its results readable when stage 1 grows the memory under it', () => {
    const s1 = loadSpecialBytes(readFileSync(WASM))!;
    const s2 = loadScanStage2(s1, readFileSync(WASM2))!;
    const memory = s1.wasmMemory;
    const scanner = new LineScanner();
    const small = Buffer.from(OURS);
    scanner.useMarks(small, s1.index(small), s2);
    expect(scanner.scan(small, 0, small.length)).toBe(SCAN_OK);
    const size = memory.buffer.byteLength;
    // a buffer larger than the memory holds so far: the memory grows (its old views detach)
    const big = Buffer.concat([Buffer.from(OURS.replace('Hello!', 'x'.repeat(3 << 19))), Buffer.from('\n'), small]);
    scanner.useMarks(big, s1.index(big), s2);
    expect(memory.buffer.byteLength).toBeGreaterThan(size);
    plain.useMarks(null, null);
    for (const [s, e] of [[0, big.length - small.length - 1], [big.length - small.length, big.length]] as const) {
      expect(outcome(scanner, big, s, e)).toEqual(outcome(plain, big, s, e));
      expect(outcome(scanner, big, s, e)[0]).toBe(SCAN_OK);
    }
  });
});

describe('without stage 1', () => {
  const saved = process.env['VOICEMODE_EVENTS_WASM'];
  afterEach(() => {
    if (saved === undefined) delete process.env['VOICEMODE_EVENTS_WASM'];
    else process.env['VOICEMODE_EVENTS_WASM'] = saved;
  });

  it('the built module is found next to the built loader; a broken module, or the switch, gives none', () => {
    expect(loadBuilt()).toBeDefined();
    expect(loadSpecialBytes(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]))).toBeUndefined();
    expect(loadSpecialBytes(Buffer.from('not wasm'))).toBeUndefined();
    // stage 2 likewise (the scanner then runs its JavaScript)
    expect(loadBuiltStage2(loadBuilt()!)).toBeDefined();
    expect(loadScanStage2(special, Buffer.from('not wasm'))).toBeUndefined();
    expect(loadScanStage2(special, readFileSync(WASM))).toBeUndefined(); // stage 1's module: no `scan`
    process.env['VOICEMODE_EVENTS_WASM'] = 'off';
    expect(loadBuilt()).toBeUndefined();
  });

  it('a buffer the module memory cannot grow to hold gets no marks (its lines are scanned byte by byte)', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number; maximum: number }) => unknown; Instance: new (m: unknown) => { exports: Record<string, unknown> }; Module: new (b: Uint8Array) => unknown } }).WebAssembly;
    const real = new wasm.Instance(new wasm.Module(readFileSync(WASM)));
    (real.exports['memory'] as { grow(pages: number): number }).grow(31); // classify works in its own memory: room for the small buffer there
    // 2 MiB at most: the chunk's place (after stage 2's cache and rows, 1.17 MiB) and a small buffer fit, a large one not
    const small = new SpecialBytes({ exports: { memory: new wasm.Memory({ initial: 1, maximum: 32 }), classify: real.exports['classify'] } });
    expect(small.index(Buffer.alloc(1000, 97))).not.toBeNull();
    expect(small.index(Buffer.alloc(1_000_000, 97))).toBeNull();
  });

  it('a buffer over MAX_MARKED_BYTES (one long line grown past the chunk) gets no marks, and the memory does not grow for it', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown) => { exports: Record<string, unknown> }; Module: new (b: Uint8Array) => unknown } }).WebAssembly;
    const instance = new wasm.Instance(new wasm.Module(readFileSync(WASM)));
    const s = new SpecialBytes(instance);
    const memory = instance.exports['memory'] as { buffer: ArrayBuffer };
    expect(s.index(Buffer.alloc(MAX_MARKED_BYTES, 97))).not.toBeNull();
    const size = memory.buffer.byteLength;
    expect(s.index(Buffer.alloc(MAX_MARKED_BYTES + 1, 97))).toBeNull();
    expect(memory.buffer.byteLength).toBe(size);
  });

  it('a module whose marks are not the rule (swapped words, as a big-endian host would read them) is not used', () => {
    expect(marksRight(special)).toBe(true);
    // the real module, its marks read with each word's bytes reversed
    const swapped = Object.create(special) as SpecialBytes;
    swapped.index = (buf: Uint8Array): Uint32Array | null => {
      const m = special.index(buf);
      return m === null ? null : m.map((w) => (((w & 0xff) << 24) | ((w & 0xff00) << 8) | ((w >>> 8) & 0xff00) | (w >>> 24)) >>> 0);
    };
    expect(marksRight(swapped)).toBe(false);
    // one wrong bit: a byte >= 0x80 left unmarked
    const blind = Object.create(special) as SpecialBytes;
    blind.index = (buf: Uint8Array): Uint32Array | null => {
      const m = special.index(buf);
      if (m === null) return null;
      const out = m.slice();
      const at = buf.indexOf(0xc3);
      out[at >>> 5]! &= ~(1 << (at & 31));
      return out;
    };
    expect(marksRight(blind)).toBe(false);
  });

  it('the parse worker gives the same events and skipped lines with and without it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-stage1-'));
    const path = join(dir, 'voicemode_events_2026-01-05.jsonl');
    // > 1 MiB (several chunks: lines across chunk boundaries), odd lines everywhere
    const lines: string[] = [];
    for (let i = 0; i < 9000; i++) {
      const t = `2026-01-05T09:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}.${String(i % 1_000_000).padStart(6, '0')}Z`;
      lines.push(ODD[i % ODD.length]!.replace('2026-01-05T09:00:00.003405Z', t).replace('2025-06-23T15:30:45+00:00', t));
    }
    // a line longer than a chunk's 64 KiB overlap (the worker grows its buffer for it: then past
    // MAX_MARKED_BYTES, scanned byte by byte), and one over the line bound (skipped, not kept)
    const long = (n: number): string => JSON.stringify({ timestamp: '2026-01-05T09:30:00.000001Z', event_type: 'TTS_START', session_id: 'long', data: { message: 'é'.repeat(n) } });
    lines.splice(3000, 0, long(300_000));
    lines.splice(6000, 0, long(600_000));
    const text = lines.join('\n');
    expect(text.length).toBeGreaterThan(3 << 20);
    writeFileSync(path, text);
    writeFileSync(`${path}.gz`, gzipSync(text));
    const read = async (file: string): Promise<{ events: unknown[]; skipped: number[]; stats: { markedBytes: number; longLines: number } }> => {
      const events: unknown[] = [];
      const skipped: number[] = [];
      const stats = await readEvents(await discoverFiles([file]), (ev: FileEvent) => void events.push([ev.timestampUs, ev.eventType, ev.sessionId, ev.turn, ev.spanId, ev.line, ev.data, ev.usage]), {
        compact: true,
        parseWorkers: 2,
        maxLineBytes: 1 << 20,
        onSkip: (_f: number, line: number) => skipped.push(line),
      });
      return { events, skipped, stats };
    };
    for (const file of [path, `${path}.gz`]) {
      delete process.env['VOICEMODE_EVENTS_WASM'];
      const withIt = await read(file);
      process.env['VOICEMODE_EVENTS_WASM'] = 'stage1'; // stage 1 in wasm, stage 2 in JavaScript
      const stage1Only = await read(file);
      process.env['VOICEMODE_EVENTS_WASM'] = 'off';
      const without = await read(file);
      expect(stage1Only).toEqual(withIt);
      expect(withIt.skipped.length).toBeGreaterThan(1000);
      expect(withIt.events.length).toBeGreaterThan(5000);
      expect(withIt.events).toContainEqual(expect.arrayContaining(['TTS_START', 'long']));
      expect(withIt.stats.longLines, file).toBe(1);
      // stage 1 was used in the workers (most of the file), and not with the switch
      expect(withIt.stats.markedBytes, file).toBeGreaterThan(text.length / 2);
      expect(without.stats.markedBytes, file).toBe(0);
      expect({ ...without, stats: { ...without.stats, markedBytes: 0 } }).toEqual({ ...withIt, stats: { ...withIt.stats, markedBytes: 0 } });
    }
  }, 120_000);
});
