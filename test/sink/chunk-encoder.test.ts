import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/events/record.js';
import { CHUNK_BYTES, ChunkEncoder, type Chunk } from '../../src/sink/chunk-encoder.js';
import { formatLine } from '../../src/sink/line-format.js';

const MIDNIGHT = Date.UTC(2026, 10, 3) * 1000; // 2026-11-03T00:00:00Z in µs
const rec = (us: number, data: Record<string, unknown> = {}): EventRecord => ({ timestampUs: us, eventType: 'E', sessionId: 's1', data, turn: 1, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) });

function encoder(rotation: 'daily' | 'hourly' | 'none' = 'daily'): { enc: ChunkEncoder; chunks: Chunk[] } {
  const chunks: Chunk[] = [];
  return { enc: new ChunkEncoder('/logs', rotation, (c) => chunks.push(c)), chunks };
}

describe('ChunkEncoder', () => {
  it('encodes each record as its line, in order, and counts the bytes it added', () => {
    const { enc, chunks } = encoder();
    const records = Array.from({ length: 5 }, (_, i) => rec(MIDNIGHT + i * 1_000_001, { i, text: 'ü' }));
    let added = 0;
    for (const r of records) added += enc.append(r);
    expect(enc.buildingBytes).toBe(added);
    expect(chunks).toHaveLength(0); // nothing sealed until asked, full, or another file
    enc.seal();
    expect(enc.buildingBytes).toBe(0);
    expect(chunks).toHaveLength(1);
    expect(chunks[0]!.path).toBe('/logs/voicemode_events_2026-11-03.jsonl');
    expect(chunks[0]!.lines).toBe(5);
    expect(chunks[0]!.data.toString('utf8')).toBe(records.map(formatLine).join(''));
    expect(chunks[0]!.data.length).toBe(added);
  });

  it('seals at a file boundary: a chunk holds lines of one file only', () => {
    const { enc, chunks } = encoder('hourly');
    enc.append(rec(MIDNIGHT - 1)); // 2026-11-02T23
    enc.append(rec(MIDNIGHT)); // 2026-11-03T00
    enc.append(rec(MIDNIGHT + 1));
    enc.seal();
    expect(chunks.map((c) => [c.path, c.lines])).toEqual([
      ['/logs/voicemode_events_2026-11-02T23.jsonl', 1],
      ['/logs/voicemode_events_2026-11-03T00.jsonl', 2],
    ]);
  });

  it('seals a full buffer with whole lines only, and gives a line longer than a buffer its own', () => {
    const { enc, chunks } = encoder();
    const pad = 'x'.repeat(1000);
    const records = Array.from({ length: 200 }, (_, i) => rec(MIDNIGHT + i, { i, pad }));
    for (const r of records) enc.append(r);
    const long = rec(MIDNIGHT + 500, { pad: 'y'.repeat(CHUNK_BYTES * 2) });
    enc.append(long);
    enc.seal();
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const c of chunks) {
      expect(c.data.length).toBeLessThanOrEqual(Math.max(CHUNK_BYTES, formatLine(long).length));
      expect(c.data.at(-1)).toBe(0x0a); // ends with a whole line
      expect(c.data.toString('utf8').split('\n').length - 1).toBe(c.lines);
    }
    expect(chunks.at(-1)!.data.toString('utf8')).toBe(formatLine(long));
    expect(chunks.map((c) => c.data.toString('utf8')).join('')).toBe([...records, long].map(formatLine).join(''));
  });

  it('a record that cannot be formatted throws and leaves the chunk as it was', () => {
    const { enc, chunks } = encoder();
    enc.append(rec(MIDNIGHT, { ok: 1 }));
    const before = enc.buildingBytes;
    expect(() => enc.append(rec(Number.NaN))).toThrow();
    expect(enc.buildingBytes).toBe(before);
    enc.append(rec(MIDNIGHT + 1, { ok: 2 }));
    enc.seal();
    expect(chunks.map((c) => c.data.toString('utf8')).join('')).toBe(formatLine(rec(MIDNIGHT, { ok: 1 })) + formatLine(rec(MIDNIGHT + 1, { ok: 2 })));
  });

  it('a chunk sealed mostly empty is a copy of exact size: the buffer is reused, the chunk never changes', () => {
    const { enc, chunks } = encoder();
    enc.append(rec(MIDNIGHT, { n: 1 }));
    enc.seal();
    const first = chunks[0]!;
    const text = first.data.toString('utf8');
    expect(first.data.buffer.byteLength).toBeLessThan(CHUNK_BYTES); // not a view of the 64 KiB buffer
    enc.append(rec(MIDNIGHT + 1, { n: 2 }));
    enc.seal();
    expect(first.data.toString('utf8')).toBe(text);
    expect(chunks[1]!.data.toString('utf8')).toBe(formatLine(rec(MIDNIGHT + 1, { n: 2 })));
  });
});
