import Table from 'cli-table3';
import { describe, expect, it } from 'vitest';
import { makeTable, TABLE_CHUNK_ROWS } from '../../src/format.js';

/** Issue 16, item 13: `summary --by` with many labels was quadratic in text mode (cli-table3's layout). */
function rows(n: number): string[][] {
  return Array.from({ length: n }, (_, i) => [`provider-${i}${i % 7 === 0 ? '-長い' : ''}`, 'ttfa', String(i), `${(i / 1000).toFixed(3)}s`]);
}

function timeMs(f: () => void): number {
  const t0 = process.cpuUsage();
  f();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1000;
}

describe('large tables', () => {
  it('render exactly as cli-table3 renders them in one piece', () => {
    const head = ['provider', 'metric', 'count', 'mean'];
    for (const n of [1, TABLE_CHUNK_ROWS, TABLE_CHUNK_ROWS + 1, 3 * TABLE_CHUNK_ROWS + 5]) {
      const t = makeTable(head);
      const whole = new Table({ head, style: { head: [], border: [] } });
      for (const r of rows(n)) {
        t.push(r);
        whole.push(r);
      }
      expect(t.toString()).toBe(whole.toString());
    }
  });

  it('take time linear in the number of rows (CPU time, 4x the rows: well under 16x the time)', () => {
    const render = (n: number): number => {
      const t = makeTable(['provider', 'metric', 'count', 'mean']);
      for (const r of rows(n)) t.push(r);
      return timeMs(() => t.toString());
    };
    render(500); // warm up
    const small = render(2000);
    const large = render(8000);
    console.log(`[measure] table of 2,000 rows ${small.toFixed(0)} ms CPU, 8,000 rows ${large.toFixed(0)} ms CPU`);
    expect(large).toBeLessThan(small * 8);
    expect(large).toBeLessThan(3000); // cli-table3 in one piece: ~9 s for 8,000 rows of 10 columns
  });
});
