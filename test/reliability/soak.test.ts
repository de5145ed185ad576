import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('soak (scripts/soak.mjs; `npm run soak` is the long version)', () => {
  it('an accelerated 8-hour session with 10,000 turns: memory flat, every event on disk', () => {
    const out = execFileSync(process.execPath, ['--expose-gc', resolve('scripts/soak.mjs'), '10000'], { encoding: 'utf8' });
    const r = JSON.parse(out.trim().split('\n').at(-1)!) as { hours: number; events: number; lines: number; heapMb: number[] };
    console.log(`soak: ${JSON.stringify(r)}`);
    expect(r.hours).toBeGreaterThanOrEqual(8);
    expect(r.events).toBe(2 + 10_000 * 10);
    expect(r.lines).toBe(r.events);
    // flat: the heap after 10,000 turns is within 5 MB of the heap after 2,000
    expect(r.heapMb).toHaveLength(10);
    expect(r.heapMb[9]! - r.heapMb[1]!).toBeLessThan(5);
  }, 120_000);
});
