import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { REJECTED_TIMESTAMPS, TIMESTAMP_FORMS, parseTimestampUs } from '../../../src/time/format.js';
import { parseLine, parseTimestampFast } from '../../src/reader/parse-line.js';
import { LineScanner, SCAN_OK } from '../../src/reader/scan-line.js';

/**
 * One table of timestamp forms (src/time/format.ts) and three parsers: the general one, the
 * reader's text fast path and the parse workers' byte scanner. All must agree on every row.
 */
const scanner = new LineScanner();

/** What the byte scanner makes of a line with this timestamp: its µs when it answers OK, else the reference path's (what the worker then does). */
function viaScanner(ts: string): number | undefined {
  const line = `{"timestamp":${JSON.stringify(ts)},"event_type":"TTS_START","session_id":"s","data":{}}`;
  const buf = Buffer.from(line, 'utf8');
  if (scanner.scan(buf, 0, buf.length) === SCAN_OK) return scanner.timestampUs;
  return parseLine(line, 0, 1)?.timestampUs;
}

describe('timestamp forms: one table, three parsers agree', () => {
  it.each(TIMESTAMP_FORMS)('$form: $example', ({ example, us }) => {
    expect(parseTimestampUs(example)).toBe(us);
    expect(parseTimestampFast(example)).toBe(us);
    expect(viaScanner(example)).toBe(us);
  });

  it.each(REJECTED_TIMESTAMPS)('rejected by all three: %j', (text) => {
    expect(parseTimestampUs(text)).toBeNaN();
    expect(parseTimestampFast(text)).toBeNaN();
    expect(viaScanner(text)).toBeUndefined(); // the line is malformed
  });

  it('generated timestamps in the common forms: the fast paths equal the general parser', () => {
    const pad = (n: number, w: number) => String(n).padStart(w, '0');
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4102444799 }), // 1970 .. 2099
        fc.integer({ min: 0, max: 999999 }),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom('Z', '+00:00', '-05:30', '+14:00', 'z', ''),
        (sec, micros, digits, tz) => {
          const base = new Date(sec * 1000).toISOString().slice(0, 19);
          const frac = digits === 0 ? '' : '.' + pad(micros, 6).padEnd(9, '7').slice(0, digits);
          const text = base + frac + tz;
          const want = parseTimestampUs(text);
          expect(Number.isNaN(want)).toBe(false);
          expect(parseTimestampFast(text)).toBe(want);
          expect(viaScanner(text)).toBe(want);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
