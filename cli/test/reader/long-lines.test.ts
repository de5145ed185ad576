import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
// the built reader: its parse workers run dist/reader/parse-worker.js
import { discoverFiles } from '../../dist/reader/discover.js';
import { readEvents } from '../../dist/reader/read-events.js';
import { LineSplitter } from '../../src/reader/line-splitter.js';
import { MAX_NESTING, NESTING_CHECK_FROM, parseLine } from '../../src/reader/parse-line.js';
import { tempDir } from '../../../test/helpers/harness.js';

/** Issue 16, item 10: a line over the bound is skipped and counted without being held; deep nesting is refused before JSON.parse. */
const ev = (i: number): string => `{"timestamp":"2026-01-05T09:00:${String(i % 60).padStart(2, '0')}.000000Z","event_type":"TTS_START","session_id":"s${i}","data":{"provider":"p"}}`;

function split(chunks: Buffer[], max: number): { lines: string[]; long: number[] } {
  const lines: string[] = [];
  const long: number[] = [];
  const s = new LineSplitter(
    (l) => lines.push(l),
    () => long.push(lines.length + long.length + 1),
    max,
  );
  for (const c of chunks) s.push(c);
  s.end();
  return { lines, long };
}

describe('LineSplitter', () => {
  it('gives the lines of any chunking, and reports exactly the lines over the bound (in place)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('ü€😀', 'x'.repeat(40))), { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 4, max: 30 }),
        (raw, cuts, max) => {
          const lines = raw.map((l) => l.replace(/\n/g, ''));
          const bytes = Buffer.from(lines.join('\n'));
          const chunks: Buffer[] = [];
          let p = 0;
          for (let i = 0; p < bytes.length; i++) {
            const n = cuts[i % cuts.length]!;
            chunks.push(bytes.subarray(p, p + n));
            p += n;
          }
          const r = split(chunks, max);
          // the lines of the text: a final newline (or an empty text) ends the last line, it does not start one
          const want = lines.at(-1) === '' ? lines.slice(0, -1) : lines;
          const expectedLong: number[] = [];
          const expectedLines: string[] = [];
          want.forEach((l, i) => (Buffer.byteLength(l) > max ? expectedLong.push(i + 1) : expectedLines.push(l)));
          expect(r.long).toEqual(expectedLong);
          expect(r.lines).toEqual(expectedLines);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('holds at most the bound of a long line, however long it is', () => {
    const max = 1000;
    const s = new LineSplitter(() => undefined, () => undefined, max);
    const chunk = Buffer.alloc(4096, 0x5b); // '['
    const before = process.memoryUsage().arrayBuffers;
    for (let i = 0; i < 10_000; i++) s.push(chunk); // 40 MiB, one line
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 << 20);
  });
});

describe('readEvents with a line over the bound', () => {
  const longLine = '{"timestamp":"2026-01-05T09:00:00Z","event_type":"X","data":{"t":"' + 'a'.repeat(3 << 20) + '"}}';
  const text = [ev(1), longLine, ev(2), '['.repeat(2 << 20), ev(3)].join('\n') + '\n';

  it.each([
    ['plain, in-thread', false, false],
    ['plain, parse workers', false, true],
    ['gzip, in-thread', true, false],
    ['gzip, parse worker', true, true],
  ])('%s: skipped and counted, the lines around it read, line numbers kept', async (_name, gz, compact) => {
    const dir = tempDir();
    const path = join(dir, gz ? 'voicemode_events_2026-01-05.jsonl.gz' : 'voicemode_events_2026-01-05.jsonl');
    writeFileSync(path, gz ? gzipSync(text) : text);
    const seen: number[] = [];
    const skipped: [number, boolean][] = [];
    const stats = await readEvents(await discoverFiles([path]), (e) => void seen.push(e.line), {
      compact,
      maxLineBytes: 1 << 20,
      onSkip: (_f, line, long) => skipped.push([line, long === true]),
    });
    expect(seen).toEqual([1, 3, 5]);
    expect(skipped).toEqual([
      [2, true],
      [4, true],
    ]);
    expect(stats).toMatchObject({ events: 3, skippedLines: 2, longLines: 2 });
  });

  it('under the default 8 MiB bound, the 3 MiB line is read and the deep one is malformed (not long)', async () => {
    const path = join(tempDir(), 'voicemode_events_2026-01-05.jsonl');
    writeFileSync(path, text);
    for (const compact of [false, true]) {
      const stats = await readEvents(await discoverFiles([path]), () => undefined, { compact });
      expect(stats).toMatchObject({ events: 4, skippedLines: 1, longLines: 0 });
    }
  });
});

describe('nesting limit before JSON.parse', () => {
  it('a long line nested deeper than the limit is malformed; the same depth in a valid event of normal size is read', () => {
    const deep = (n: number, pad: number): string =>
      `{"timestamp":"2026-01-05T09:00:00Z","event_type":"X","pad":"${'p'.repeat(pad)}","data":{"d":${'['.repeat(n)}${']'.repeat(n)}}}`;
    expect(parseLine(deep(MAX_NESTING + 10, NESTING_CHECK_FROM), 0, 1)).toBeUndefined();
    expect(parseLine(deep(MAX_NESTING - 10, NESTING_CHECK_FROM), 0, 1)).toBeDefined();
    expect(parseLine(deep(MAX_NESTING + 10, 10), 0, 1)).toBeDefined();
    // brackets inside strings do not count
    const inString = `{"timestamp":"2026-01-05T09:00:00Z","event_type":"X","data":{"t":"${'[\\"'.repeat(NESTING_CHECK_FROM)}"}}`;
    expect(parseLine(inString, 0, 1)).toBeDefined();
  });
});
