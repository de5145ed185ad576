import { createRequire } from 'node:module';
import type Table from 'cli-table3';
import type { Distribution } from './analysis/quantiles.js';
import { formatTimestampUs } from 'voicemode-events/internal';
import { noColor } from './environment.js';
import { escapeControl, escapeJsonText } from './terminal-text.js';

/**
 * cli-table3 (CommonJS) is required on the first table, not imported with the module: a
 * command that ends before printing a table (an empty folder, --json) does not load it
 * (~9 CPU-ms of start-up, issue 14 item 6).
 */
let tableClass: typeof Table | undefined;
function TableClass(): typeof Table {
  return (tableClass ??= createRequire(import.meta.url)('cli-table3') as typeof Table);
}

/** Width of the output: the terminal's columns, or 100 when stdout is not a terminal (a pipe, a file). */
export function outputColumns(stream: NodeJS.WriteStream = process.stdout): number {
  return stream.isTTY && stream.columns ? stream.columns : 100;
}

/** Cuts `text` to `max` characters with an ellipsis. */
export function fit(text: string, max: number): string {
  return text.length > max ? text.slice(0, Math.max(1, max - 1)) + '…' : text;
}

/**
 * `head` then the parts joined by `sep`, wrapped at spaces to `columns`: continuation lines
 * are indented (a long list of a turn's metrics stays whole and readable).
 */
export function wrapParts(head: string, parts: string[], columns: number, sep = '; '): string {
  const indent = ' '.repeat(Math.min(head.length, 8));
  const lines: string[] = [];
  let line = head.trimEnd();
  for (const word of parts.join(sep).split(' ')) {
    if (line.trim() !== '' && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = indent + word;
    } else line += (line === '' ? '' : ' ') + word;
  }
  lines.push(line);
  return lines.join('\n');
}

/** Every line of `text` longer than `columns` wrapped at spaces, continuation lines indented by two (tables fit already). */
export function wrapLines(text: string, columns: number): string {
  return text
    .split('\n')
    .map((l) => ([...l].length <= columns ? l : wrapParts('', [l], columns, '').replace(/\n/g, '\n  ')))
    .join('\n');
}

/** A computed number rounded to the microsecond (seconds) for JSON: 0.2999999999999993 -> 0.3. */
export function micro(v: number): number {
  return Number.isInteger(v) ? v : Math.round(v * 1e6) / 1e6;
}

/** JSON of computed results (statistics, never log data): every number rounded by `micro`. */
export function statsJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? micro(v) : v));
}

/** Colour only on a terminal and when NO_COLOR is not set (https://no-color.org). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  return stream.isTTY === true && !noColor();
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
  const table = new (TableClass())({ head, style });
  const push = table.push.bind(table);
  type Row = Table.HorizontalTableRow | Table.VerticalTableRow | Table.CrossTableRow;
  table.push = (...rows: Row[]): number => push(...rows.map((r) => (Array.isArray(r) ? r.map((c) => (typeof c === 'string' ? escapeControl(c) : c)) : r)));
  const render = table.toString.bind(table);
  table.toString = (): string => {
    const rows = table as unknown as string[][];
    const widths = naturalWidths(head, rows);
    const fitted = fitWidths(widths, outputColumns());
    if (fitted === widths && rows.length <= TABLE_CHUNK_ROWS) return render();
    return renderInChunks(head, rows, style, fitted);
  };
  return table;
}

/** Column widths (padding included) that show every cell whole. */
function naturalWidths(head: string[], rows: string[][]): number[] {
  return head.map((h, i) => Math.max(displayWidth(h), ...rows.map((r) => displayWidth(String(r[i] ?? '')))) + 2);
}

/**
 * Widths that fit `columns` (borders included): the widest columns are narrowed first, to no
 * less than 8; cli-table3 then cuts their cells with an ellipsis. The same array when it fits.
 */
function fitWidths(widths: number[], columns: number): number[] {
  const total = (w: number[]): number => w.reduce((a, b) => a + b, 0) + w.length + 1;
  if (total(widths) <= columns) return widths;
  const out = [...widths];
  while (total(out) > columns) {
    let widest = 0;
    for (let i = 1; i < out.length; i++) if (out[i]! > out[widest]!) widest = i;
    if (out[widest]! <= 8) break;
    out[widest]!--;
  }
  return out;
}

export const TABLE_CHUNK_ROWS = 64;

/** Display width, erring wide (East Asian wide and emoji count 2), so no cell is cut. */
function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += ch.codePointAt(0)! >= 0x1100 ? 2 : 1;
  return w;
}

function renderInChunks(head: string[], rows: string[][], style: { head: string[]; border: string[] }, colWidths: number[]): string {
  const out: string[] = [];
  let separator = '';
  for (let from = 0; from < rows.length; from += TABLE_CHUNK_ROWS) {
    const first = from === 0;
    const chunk = new (TableClass())({ ...(first ? { head } : {}), style, colWidths });
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
