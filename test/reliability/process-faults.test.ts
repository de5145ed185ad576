import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_FLUSH_INTERVAL_MS } from '../helpers/lib.js';
import { tempDir } from '../helpers/harness.js';
import { filterChildStderr } from '../helpers/quiet-warnings.js';

const dist = resolve('dist');
const child = resolve('test/fixtures/logging-child.mjs');

function linesOf(dir: string): { parsed: Record<string, unknown>[]; torn: number } {
  const parsed: Record<string, unknown>[] = [];
  let torn = 0;
  for (const f of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        parsed.push(JSON.parse(line));
      } catch {
        torn++;
      }
    }
  }
  return { parsed, torn };
}

describe('SIGKILL mid-session', () => {
  it(`loses at most the last flush interval (${DEFAULT_FLUSH_INTERVAL_MS} ms), and the file stays readable`, async () => {
    const dir = join(tempDir(), 'logs');
    const p = spawn(process.execPath, [child, dist, 'stream', dir, 'killed'], { stdio: ['ignore', 'pipe', 'pipe'] });
    filterChildStderr(p.stderr);
    const reports: { at: number; total: number }[] = [];
    let buf = '';
    p.stdout.on('data', (d: Buffer) => {
      buf += d;
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const n of parts) reports.push({ at: performance.now(), total: Number(n) });
    });
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = performance.now();
    p.kill('SIGKILL');
    await new Promise((r) => p.on('close', r));
    // every event reported logged more than one flush interval (+ 150 ms for the write itself) before the kill
    const safe = reports.filter((r) => r.at < killedAt - DEFAULT_FLUSH_INTERVAL_MS - 150).at(-1)!.total;
    const { parsed, torn } = linesOf(dir);
    expect(torn).toBeLessThanOrEqual(1); // at most a torn last line, which readers skip
    const ids = parsed.filter((l) => l.event_type === 'TOOL_REQUEST_START').map((l) => (l.data as { i: number }).i);
    expect(ids.length).toBeGreaterThanOrEqual(safe);
    expect(ids.slice(0, safe)).toEqual(Array.from({ length: safe }, (_, i) => i));
    const total = reports.at(-1)!.total;
    console.log(`SIGKILL: ${total} events reported logged, ${ids.length} on disk, ${total - ids.length} lost (the unflushed tail)`);
  });
});

describe('several processes appending to the same daily file', () => {
  it('4 x 50,000 events: no torn or interleaved line, every session complete and in order', async () => {
    const dir = join(tempDir(), 'logs');
    const runs = ['p1', 'p2', 'p3', 'p4'].map(
      (id) =>
        new Promise<number | null>((res) => {
          const p = spawn(process.execPath, [child, dist, 'bulk', dir, id, '50000'], { stdio: ['ignore', 'inherit', 'pipe'] });
          filterChildStderr(p.stderr);
          p.on('close', res);
        }),
    );
    expect(await Promise.all(runs)).toEqual([0, 0, 0, 0]);
    expect(readdirSync(dir)).toHaveLength(1);
    const { parsed, torn } = linesOf(dir);
    expect(torn).toBe(0);
    expect(parsed).toHaveLength(4 * 50_002);
    for (const id of ['p1', 'p2', 'p3', 'p4']) {
      const mine = parsed.filter((l) => l.session_id === id);
      expect(mine[0]!.event_type).toBe('SESSION_START');
      expect(mine.at(-1)!.event_type).toBe('SESSION_END');
      const ids = mine.slice(1, -1).map((l) => (l.data as { i: number }).i);
      expect(ids).toEqual(Array.from({ length: 50_000 }, (_, i) => i));
    }
    // the processes really did interleave in the file
    const order = parsed.map((l) => l.session_id as string);
    let switches = 0;
    for (let i = 1; i < order.length; i++) if (order[i] !== order[i - 1]) switches++;
    expect(switches).toBeGreaterThan(3);
  }, 120_000);
});

describe('process.exit() while a chunk is being written', () => {
  it('writes every event exactly once, whenever the exit comes (30 exits at different moments)', async () => {
    const runs = Array.from({ length: 30 }, (_, k) => 150 + k * 7); // exit after 150, 157, ... ms
    let duplicates = 0;
    for (let batch = 0; batch < runs.length; batch += 6) {
      await Promise.all(
        runs.slice(batch, batch + 6).map(async (ms) => {
          const dir = join(tempDir(), 'logs');
          const p = spawn(process.execPath, [child, dist, 'exit-at', dir, `exit-${ms}`, String(ms)], { stdio: ['ignore', 'inherit', 'pipe'] });
          filterChildStderr(p.stderr);
          expect(await new Promise((r) => p.on('close', r))).toBe(0);
          const ids = linesOf(dir).parsed.filter((l) => l.event_type === 'TOOL_REQUEST_START').map((l) => (l.data as { i: number }).i);
          duplicates += ids.length - new Set(ids).size;
          expect(ids).toEqual(Array.from({ length: ids.length }, (_, i) => i)); // in order, no gap, no repeat
          expect(ids.length).toBeGreaterThan(0);
        }),
      );
    }
    expect(duplicates).toBe(0);
  }, 120_000);
});
