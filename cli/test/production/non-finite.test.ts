import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nonFiniteAsNull, parseLine } from '../../src/reader/parse-line.js';
import { LineScanner, SCAN_OK } from '../../src/reader/scan-line.js';
// the built reader: its parse workers run dist/reader/parse-worker.js
import { readEvents } from '../../dist/reader/read-events.js';
import type { FileEvent } from '../../src/reader/parse-line.js';

/** Python's json.dumps: non-finite floats as the bare tokens NaN, Infinity, -Infinity. */
function pyDumps(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  if (Array.isArray(v)) return `[${v.map(pyDumps).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${pyDumps(x)}`).join(', ')}}`;
  return JSON.stringify(v);
}

const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    fc.double(),
    fc.constantFrom('NaN', 'Infinity', '-Infinity', 'a "NaN" \\ Infinity'),
    fc.string(),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.string().filter((k) => k !== '__proto__'), tie('v'), { maxKeys: 3 }),
  ),
})).v;
const dataArb = fc.dictionary(fc.string().filter((k) => k !== '__proto__'), value, { maxKeys: 4 });

function line(data: unknown): string {
  return `{"timestamp": "2026-11-30T10:00:00.000001+00:00", "event_type": "TTS_PLAYBACK_END", "session_id": null, "data": ${pyDumps(data)}}`;
}

describe('NaN, Infinity and -Infinity (Python json.dumps) are read as null, not dropped', () => {
  const scanner = new LineScanner();

  it('parseLine keeps the event with those values as null and strings untouched; the byte scanner never takes such a line on its fast path', () => {
    fc.assert(
      fc.property(dataArb, (data) => {
        const text = line(data);
        const ev = parseLine(text, 0, 1);
        expect(ev).toBeDefined();
        // what JSON would hold: non-finite numbers as null (JSON.stringify's own rule)
        expect(ev!.data).toEqual(JSON.parse(JSON.stringify(data)));
        const lenient = /(?<![\w"])(?:-?Infinity|NaN)(?![\w"])/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'));
        expect(ev!.nonFinite === true).toBe(lenient);
        const buf = Buffer.from(text);
        if (lenient) expect(scanner.scan(buf, 0, buf.length)).not.toBe(SCAN_OK);
      }),
      { numRuns: 500 },
    );
  });

  it('a line that is malformed for another reason stays malformed', () => {
    expect(parseLine('{"timestamp": "2026-11-30T10:00:00+00:00", "event_type": "X", "data": {"a": NaN', 0, 1)).toBeUndefined();
    expect(parseLine('{"timestamp": "2026-11-30T10:00:00+00:00", "event_type": "X", "data": {"a": NaNx}}', 0, 1)).toBeUndefined();
    expect(nonFiniteAsNull('{"a": "NaN"}')).toBeUndefined();
  });

  const hasPython = spawnSync('python3', ['--version']).status === 0;
  it.skipIf(!hasPython && process.env.CI !== 'true')("the worker path and the in-thread path agree and count them, on lines from Python's own json.dumps", async () => {
    const py = `import json
for i in range(2000):
    m = {"ttfa_ms": float("nan") if i % 7 == 0 else (float("inf") if i % 11 == 0 else i / 3), "note": "NaN" if i % 5 == 0 else "ok"}
    print(json.dumps({"timestamp": "2026-11-30T10:00:%02d.%06d+00:00" % (i // 1000, i % 1000 + 1), "event_type": "TTS_PLAYBACK_END" if i % 2 else "TTS_START", "session_id": "s%d" % (i // 10), "data": {"metrics": m, "provider": "kokoro"}}))
`;
    const dir = mkdtempSync(join(tmpdir(), 'vme-nan-'));
    const file = join(dir, 'voicemode_events_2026-11-30.jsonl');
    writeFileSync(file, execFileSync('python3', ['-c', py]));
    const expected = Array.from({ length: 2000 }, (_, i) => i).filter((i) => i % 7 === 0 || i % 11 === 0).length;
    const src = [{ path: file, gz: false, size: 1 }];
    const read = async (compact: boolean): Promise<{ evs: FileEvent[]; nonFinite: number; skipped: number }> => {
      const evs: FileEvent[] = [];
      const stats = await readEvents(src, (e) => void evs.push(e), { compact });
      return { evs, nonFinite: stats.nonFiniteLines, skipped: stats.skippedLines };
    };
    src[0]!.size = (await import('node:fs')).statSync(file).size;
    const inThread = await read(false);
    const workers = await read(true);
    expect(inThread).toMatchObject({ nonFinite: expected, skipped: 0 });
    expect(workers).toMatchObject({ nonFinite: expected, skipped: 0 });
    expect(workers.evs).toHaveLength(2000);
    // the worker path keeps the numbers the analysis reads of TTS_PLAYBACK_END (their ttfa_ms; a
    // null is no number, so absent), labels of the rest
    const pick = (e: FileEvent) => [e.timestampUs, e.eventType, e.sessionId, e.data.provider, e.eventType === 'TTS_PLAYBACK_END' ? ((e.data.metrics as { ttfa_ms?: unknown } | undefined)?.ttfa_ms ?? null) : '-'];
    expect(workers.evs.map(pick)).toEqual(inThread.evs.map(pick));
    expect(inThread.evs[1]!.data).toEqual({ metrics: { ttfa_ms: 1 / 3, note: 'ok' }, provider: 'kokoro' });
    expect(inThread.evs[7]!.data.metrics).toEqual({ ttfa_ms: null, note: 'ok' });
  });
});
