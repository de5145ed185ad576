import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../src/events/record.js';
import { encodeLine, formatLine } from '../src/sink/line-format.js';
import { formatTimestampUs } from '../src/time/format.js';

/** The line as the spec defines it, built the slow, obvious way. */
function reference(r: EventRecord): string {
  const o: Record<string, unknown> = {
    timestamp: formatTimestampUs(r.timestampUs),
    event_type: r.eventType,
    session_id: r.sessionId,
    data: r.data,
  };
  if (r.turn !== undefined) o.turn = r.turn;
  if (r.traceId) {
    o.trace_id = r.traceId;
    o.span_id = r.spanId;
  }
  return JSON.stringify(o) + '\n';
}

const hex = (n: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`));
// Few distinct values, so consecutive records often share a second, a session, a type or a
// span: the cached pieces of formatLine are reused, switched and invalidated in every order.
// Records always carry a trace id and a span id together (both come from one span context), or neither.
const link = fc.option(fc.record({ traceId: fc.constantFrom('a'.repeat(32), 'b'.repeat(32)), spanId: hex(16) }), { nil: undefined });
const record: fc.Arbitrary<EventRecord> = fc
  .record({
  timestampUs: fc.oneof(
    fc.integer({ min: 1_763_000_000_000_000, max: 1_763_000_003_000_000 }),
    fc.constantFrom(1_763_000_000_000_000, 1_763_000_000_000_001, 1_763_000_000_099_999, 1_763_000_000_100_000, 1_763_000_000_999_999),
    fc.integer({ min: 0, max: 4_102_444_800_000_000 }),
  ),
  eventType: fc.oneof(fc.constantFrom('TTS_START', 'TTS_FIRST_AUDIO', 'STT_COMPLETE', 'SESSION_END'), fc.string(), fc.constantFrom('A"B', 'Ü\n', '\u2028')),
  sessionId: fc.oneof(fc.constant(null), fc.constantFrom('conv_1', 'conv_2', 'null', ''), fc.string()),
  data: fc.oneof(
    fc.constant({}),
    fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null))),
    // non-ASCII (multi-byte UTF-8) and long values: the byte count differs from the length
    fc.dictionary(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary', maxLength: 300 })),
    // lone surrogates (JSON.stringify escapes them) next to ordinary text
    fc.dictionary(fc.constantFrom('a', '\ud800', 'k\udfff'), fc.constantFrom('\ud800', 'a\udfffb', '\udc00\ud800', 'ü')),
  ),
  turn: fc.option(fc.constantFrom(0, 1, 2, 17), { nil: undefined }),
  link,
})
  .map(({ link: l, ...r }) => ({ ...r, traceId: l?.traceId, spanId: l?.spanId }));

describe('formatLine', () => {
  it('is byte for byte the spec line, in any sequence of records', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), (records) => {
        for (const r of records) expect(formatLine(r)).toBe(reference(r));
      }),
      { numRuns: 300 },
    );
  });

  it('stays right past its cache bounds (thousands of sessions and event types)', () => {
    for (let i = 0; i < 3000; i++) {
      const r: EventRecord = { timestampUs: 1_763_000_000_000_000 + i, eventType: `CUSTOM_${i % 1500}`, sessionId: `s${i}`, data: { i } };
      expect(formatLine(r)).toBe(reference(r));
    }
  });
});

describe('encodeLine', () => {
  it('writes the same bytes as the line, back to back, and asks for room when a line does not fit', () => {
    fc.assert(
      fc.property(fc.array(record, { minLength: 1, maxLength: 40 }), fc.integer({ min: 16, max: 600 }), (records, size) => {
        const expected = Buffer.from(records.map(reference).join(''), 'utf8');
        const parts: Buffer[] = [];
        let buf = Buffer.alloc(size);
        let off = 0;
        for (const r of records) {
          let end = encodeLine(r, buf, off);
          if (end < 0) {
            expect(-end).toBe(Buffer.byteLength(reference(r))); // exactly what it needs
            parts.push(buf.subarray(0, off));
            buf = Buffer.alloc(Math.max(size, -end));
            off = 0;
            end = encodeLine(r, buf, 0);
          }
          off = end;
        }
        parts.push(buf.subarray(0, off));
        expect(Buffer.concat(parts).equals(expected)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
