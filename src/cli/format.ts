import Table from 'cli-table3';
import type { Distribution } from '../analysis/quantiles.js';
import { formatTimestampUs } from '../time/format.js';
import { escapeControl, escapeJsonText } from './terminal-text.js';

/** Colour only on a terminal and when NO_COLOR is not set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
}

/** A table whose cells are escaped for the terminal (cells hold log content: labels, ids, types). */
export function makeTable(head: string[]): Table.Table {
  const color = useColor();
  const table = new Table({ head, style: { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] } });
  const push = table.push.bind(table);
  type Row = Table.HorizontalTableRow | Table.VerticalTableRow | Table.CrossTableRow;
  table.push = (...rows: Row[]): number => push(...rows.map((r) => (Array.isArray(r) ? r.map((c) => (typeof c === 'string' ? escapeControl(c) : c)) : r)));
  return table;
}

/** Seconds for people: 3 decimals, or ms below 1 s? Keep seconds everywhere, like the metrics. */
export function sec(v: number | null | undefined): string {
  return v === null || v === undefined ? '-' : `${v.toFixed(3)}s`;
}

export function iso(us: number | null | undefined): string | null {
  return us === null || us === undefined ? null : formatTimestampUs(us);
}

export const DIST_COLUMNS = ['count', 'mean', 'min', 'p50', 'p90', 'p95', 'p99', 'max'] as const;

export function distRow(d: Distribution): string[] {
  return [String(d.count), sec(d.mean), sec(d.min), sec(d.p50), sec(d.p90), sec(d.p95), sec(d.p99), sec(d.max)];
}

/**
 * Writes to stdout honouring back-pressure; resolves false when stdout is closed (EPIPE, `| head`).
 * DEL and C1 controls (which JSON.stringify leaves raw) are escaped here, for JSON and text
 * alike; C0 controls in log content are escaped where the content is put in (escapeControl),
 * as our own layout uses newlines and colours.
 */
export function writeOut(text: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (process.stdout.destroyed || process.stdout.writableEnded) return resolve(false);
    const ok = process.stdout.write(escapeJsonText(text));
    if (ok) resolve(true);
    else process.stdout.once('drain', () => resolve(true));
  });
}
