import Table from 'cli-table3';
import type { Distribution } from '../analysis/quantiles.js';
import { formatTimestampUs } from '../time/format.js';
import { escapeControl, escapeJsonText } from './terminal-text.js';

/** Colour only on a terminal and when NO_COLOR is not set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '');
}

/**
 * A table whose cells are escaped for the terminal (cells hold log content: labels, ids, types).
 * cli-table3 lays a table out in time quadratic in its rows (it checks every cell against every
 * earlier row for spans): 8,000 labels under `summary --by` took 9.7 s. A table of more than
 * TABLE_CHUNK_ROWS rows is rendered in chunks with the same column widths and joined with the
 * rows' own separator line: the same output, in linear time.
 */
export function makeTable(head: string[]): Table.Table {
  const color = useColor();
  const style = { head: color ? ['cyan'] : [], border: color ? ['grey'] : [] };
  const table = new Table({ head, style });
  const push = table.push.bind(table);
  type Row = Table.HorizontalTableRow | Table.VerticalTableRow | Table.CrossTableRow;
  table.push = (...rows: Row[]): number => push(...rows.map((r) => (Array.isArray(r) ? r.map((c) => (typeof c === 'string' ? escapeControl(c) : c)) : r)));
  const render = table.toString.bind(table);
  table.toString = (): string => (table.length <= TABLE_CHUNK_ROWS ? render() : renderInChunks(head, table as unknown as string[][], style));
  return table;
}

export const TABLE_CHUNK_ROWS = 64;

/** Display width, erring wide (East Asian wide and emoji count 2), so no cell is cut. */
function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += ch.codePointAt(0)! >= 0x1100 ? 2 : 1;
  return w;
}

function renderInChunks(head: string[], rows: string[][], style: { head: string[]; border: string[] }): string {
  const colWidths = head.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(String(r[i] ?? '')))) + 2);
  const out: string[] = [];
  let separator = '';
  for (let from = 0; from < rows.length; from += TABLE_CHUNK_ROWS) {
    const first = from === 0;
    const chunk = new Table({ ...(first ? { head } : {}), style, colWidths });
    chunk.push(...rows.slice(from, from + TABLE_CHUNK_ROWS));
    const lines = chunk.toString().split('\n');
    if (first) separator = lines[2]!; // the line under the head, the same as between rows
    else out.push(separator);
    // each chunk's own bottom (and, after the first, top) border is replaced by the separator
    out.push(...lines.slice(first ? 0 : 1, from + TABLE_CHUNK_ROWS >= rows.length ? lines.length : -1));
  }
  return out.join('\n');
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
