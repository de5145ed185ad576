import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.js';

const bin = resolve('cli/dist/main.js');

const sessionId = fc.constantFrom('"s1"', '"s2"', 'null', '"conv_1750692645_ab12cd"');
const eventType = fc.constantFrom('TTS_START', 'TTS_FIRST_AUDIO', 'RECORDING_START', 'RECORDING_END', 'STT_COMPLETE', 'CONCH_ACQUIRED', 'SESSION_END');
const goodTime = fc.constantFrom(
  '2025-06-23T15:30:45.123456Z',
  '2025-06-23T15:30:45.123456+00:00',
  '2025-06-23T15:30:45+00:00',
  '2025-06-23T17:30:45.5+02:00',
  '2025-06-23T15:30:45.123456789Z',
  '2025-06-23t15:30:45.1z',
);
const badTime = fc.constantFrom('"2025-13-01T00:00:00Z"', '"2025-06-23T25:00:00Z"', '"yesterday"', '""', '12345', 'null');
const data = fc.constantFrom('{}', '{"provider":"openai","metrics":{"ttfa_ms":412}}', '{"text":"héllo \\u2603 ✓"}', 'null');

type Kind = { text: string; valid: boolean };
const validLine: fc.Arbitrary<Kind> = fc
  .tuple(goodTime, eventType, sessionId, data, fc.boolean())
  .map(([t, e, s, d, spaced]) => ({
    text: spaced
      ? `{"timestamp": "${t}", "event_type": "${e}", "session_id": ${s}, "data": ${d}}`
      : `{"timestamp":"${t}","event_type":"${e}","session_id":${s},"data":${d},"turn":1,"trace_id":"${'a'.repeat(32)}","span_id":"${'b'.repeat(16)}"}`,
    valid: true,
  }));
const badTimeLine: fc.Arbitrary<Kind> = fc.tuple(badTime, eventType).map(([t, e]) => ({ text: `{"timestamp":${t},"event_type":"${e}","session_id":"s1","data":{}}`, valid: false }));
const tornLine: fc.Arbitrary<Kind> = fc.tuple(validLine, fc.double({ min: 0.01, max: 0.99, noNaN: true })).map(([l, f]) => ({
  text: l.text.slice(0, Math.max(1, Math.floor(l.text.length * f))),
  valid: false,
}));
const garbage: fc.Arbitrary<Kind> = fc.string({ maxLength: 80 }).map((s) => ({ text: '#' + s.replace(/[\n\r]/g, ' '), valid: false }));
const notAnEvent: fc.Arbitrary<Kind> = fc.constantFrom('[]', '42', '"text"', '{}', '{"event_type":"X"}', '{"timestamp":"2025-06-23T15:30:45Z","event_type":""}').map((text) => ({ text, valid: false }));
const blank: fc.Arbitrary<Kind> = fc.constantFrom('', ' ', '\t', '\r').map((text) => ({ text, valid: true }));

const lines = fc.array(fc.oneof({ weight: 5, arbitrary: validLine }, badTimeLine, tornLine, garbage, notAnEvent, blank), { maxLength: 60 });

function run(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the reader and CLI on random input (fast-check)', () => {
  it('never crash, and every non-blank line is either an event or a skipped line', () => {
    fc.assert(
      fc.property(lines, fc.boolean(), fc.boolean(), fc.uint8Array({ maxLength: 40 }), (kinds, bom, tornEnd, bytes) => {
        const dir = tempDir();
        const file = join(dir, 'voicemode_events_2025-06-23.jsonl');
        const body = kinds.map((k) => k.text).join('\n') + (tornEnd || kinds.length === 0 ? '' : '\n');
        // random bytes (invalid UTF-8 included) as one more line, after a newline
        const extra = Buffer.concat([Buffer.from('\n#'), Buffer.from(bytes.filter((b) => b !== 10)), Buffer.from('\n')]);
        writeFileSync(file, Buffer.concat([Buffer.from((bom ? '\ufeff' : '') + body, 'utf8'), extra]));
        const expectedEvents = kinds.filter((k) => k.valid && k.text.trim() !== '').length;
        const expectedSkipped = kinds.filter((k) => !k.valid).length + 1;

        const s = run(['summary', '--json', file]);
        expect(s.stderr).not.toMatch(/\n\s+at /); // never a stack trace
        expect(s.code, s.stderr).toBe(0);
        const summary = JSON.parse(s.stdout) as { events: number; skipped_lines: number };
        expect(summary.events).toBe(expectedEvents);
        expect(summary.skipped_lines).toBe(expectedSkipped);

        const q = run(['query', file]);
        expect(q.code, q.stderr).toBe(0);
        expect(q.stdout.split('\n').filter(Boolean)).toHaveLength(expectedEvents);
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
