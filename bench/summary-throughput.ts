import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { disagreements, duckSummary, type DuckSummary } from './duckdb-peer.js';
import { generateEventsFile } from './generate-events.js';
import { median } from './harness.js';
import { runMeasured, type ProcUsage } from './proc-usage.js';

/**
 * Item 6: `voicemode-events summary --json` throughput (MB/s) on a generated file of `events`
 * events in our own line format, against jq (`jq -c 'select(.event_type=="TTS_FIRST_AUDIO")'`,
 * the cheapest useful jq pass) and a bare Node `readline` + `JSON.parse` per line that does
 * nothing else (the floor for any JavaScript reader). Each is a separate process timed by
 * wall clock (process start included, as a user sees it), output discarded; one untimed run
 * each first (it also puts the file in the page cache), then `repetitions` rounds in turn.
 *
 * The file comes from bench/generate-events.ts (the CLI developer's generator: interleaved
 * sessions, errors and retries, unknown types) and is kept in the temp folder between runs.
 */

export interface SummaryOptions {
  events: number;
  repetitions: number;
  /** The built CLI (npm run build). */
  cli?: string;
  /** Also time summary and DuckDB on a file of this many events (`--large`: 5M). */
  largeEvents?: number;
}

export interface SummaryResult {
  summary_mb_per_sec: number;
  jq_mb_per_sec: number;
  parse_mb_per_sec: number;
  summary_file_mb: number;
  summary_events: number;
  summary_note: string;
  /** Medians over the rounds, same 1M file: wall s, CPU s (all threads), peak RSS MB. */
  summary_wall_s: number;
  summary_cpu_s: number;
  summary_rss_mb: number;
  duck_wall_s: number;
  duck_cpu_s: number;
  duck_rss_mb: number;
  parse_cpu_s: number;
  jq_cpu_s: number;
  /** DuckDB agreed with summary --json on events, sessions, every metric's count and mean. */
  duck_agrees: boolean;
  /**
   * The same events as DAILY_FILES daily files in a folder (how voicemode's logs look): medians
   * of wall s and CPU s. Every file used to cost a parse worker of its own (an isolate, its
   * module load, V8 optimising the scanner again): 6.8x the CPU of the one file.
   */
  daily_files: number;
  summary_daily_wall_s: number;
  summary_daily_cpu_s: number;
  /** The same on the large file, when asked for. */
  large_events?: number;
  large_file_mb?: number;
  summary_large_wall_s?: number;
  summary_large_cpu_s?: number;
  summary_large_rss_mb?: number;
  duck_large_wall_s?: number;
  duck_large_cpu_s?: number;
  duck_large_rss_mb?: number;
}

const BARE = `
const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(process.argv[1]), crlfDelay: Infinity });
let n = 0; rl.on('line', (l) => { if (l) { JSON.parse(l); n++; } }); rl.on('close', () => { process.stdout.write(n + '\\n'); });`;

type Key = 'summary' | 'jq' | 'parse' | 'duck' | 'daily';

/** Files the events are cut into for the daily-files figure. */
const DAILY_FILES = 100;

interface Subject {
  key: Key;
  /** One measured run (stdout kept when `capture`). */
  run: (capture?: boolean) => ProcUsage;
}

/** A version of the generator in the cached file's name: a changed generator makes a new file. */
function generatorVersion(): string {
  const here = fileURLToPath(import.meta.url);
  const src = join(dirname(here), `generate-events${extname(here)}`);
  return createHash('sha256').update(readFileSync(src)).digest('hex').slice(0, 8);
}

export async function ensureEventsFile(events: number): Promise<string> {
  const file = join(tmpdir(), `voicemode-bench-ours-${events}-${generatorVersion()}.jsonl`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    await generateEventsFile(partial, { events, format: 'ours' });
    renameSync(partial, file);
  }
  return file;
}

/**
 * `file`'s lines cut into `parts` files of consecutive lines named as daily logs (2025-01-01,
 * 2025-01-02, ...), in a folder beside it; made once and kept, like the file (as large as it). Sessions run across the cuts, as a
 * conversation across midnight does.
 */
function ensureDailyFolder(file: string, parts: number): string {
  const folder = `${file}.daily${parts}`;
  if (existsSync(folder)) return folder;
  const partial = `${folder}.${process.pid}.tmp`;
  mkdirSync(partial);
  const buf = readFileSync(file);
  let from = 0;
  for (let p = 0; p < parts && from < buf.length; p++) {
    let to = p === parts - 1 ? buf.length : buf.indexOf(10, Math.max(from, Math.floor(((p + 1) * buf.length) / parts))) + 1;
    if (to <= 0) to = buf.length;
    const day = new Date(Date.UTC(2025, 0, 1 + p)).toISOString().slice(0, 10);
    writeFileSync(join(partial, `voicemode_events_${day}.jsonl`), buf.subarray(from, to));
    from = to;
  }
  renameSync(partial, folder);
  return folder;
}

/** summary --json of the daily folder says what it says of the one file (the `files` count apart); else the bench fails. */
function checkDailyAgreement(single: ProcUsage, daily: ProcUsage): void {
  const a = JSON.parse(single.stdout) as Record<string, unknown>;
  const b = JSON.parse(daily.stdout) as Record<string, unknown>;
  a.files = b.files = undefined;
  if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error('summary --json of the daily files differs from the one file\'s (apart from `files`)');
}

/**
 * DuckDB as a child process (`dist-bench/bench/duckdb-peer.js`); when the bench runs from its
 * TypeScript sources (the smoke test under vitest) there is no such script, and the query runs
 * in this process: its CPU and RSS figures then mean nothing (the smoke run measures nothing).
 */
function duckSubject(file: string): Subject | undefined {
  const script = fileURLToPath(new URL('./duckdb-peer.js', import.meta.url));
  if (!existsSync(script)) return undefined;
  return { key: 'duck', run: (capture) => runMeasured(process.execPath, [script, file], { node: true, capture }) };
}

async function duckInProcess(file: string): Promise<ProcUsage> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const out = await duckSummary(file);
  const c = process.cpuUsage(c0);
  return { wall_s: (performance.now() - t0) / 1000, cpu_s: (c.user + c.system) / 1e6, rss_mb: process.memoryUsage.rss() / 1048576, stdout: JSON.stringify(out) };
}

/** Runs summary --json and DuckDB once each and fails the bench when they disagree. */
async function checkAgreement(summary: Subject, duck: Subject | undefined, file: string): Promise<void> {
  const s = JSON.parse(summary.run(true).stdout) as Parameters<typeof disagreements>[1];
  const d = JSON.parse((duck ? duck.run(true) : await duckInProcess(file)).stdout) as DuckSummary;
  const diff = disagreements(d, s);
  if (diff.length) throw new Error(`DuckDB and summary --json disagree on ${file}: ${diff.join('; ')}`);
}

export async function measureSummary(opts: SummaryOptions): Promise<SummaryResult> {
  const file = await ensureEventsFile(opts.events);
  const mb = statSync(file).size / 1e6;
  const cli = opts.cli ?? resolve('cli/dist/main.js');
  const notes: string[] = [];
  const node = (key: Key, args: string[]): Subject => ({ key, run: (capture) => runMeasured(process.execPath, args, { node: true, capture }) });
  const subjects: Subject[] = [node('parse', ['-e', BARE, file])];
  const summaryOf = (f: string): Subject => node('summary', [cli, 'summary', '--json', f]);
  const summary = existsSync(cli) ? summaryOf(file) : undefined;
  if (summary) subjects.push(summary);
  else notes.push(`no built CLI at ${cli} (run npm run build)`);
  if (spawnSync('jq', ['--version']).status === 0) {
    subjects.push({ key: 'jq', run: () => runMeasured('jq', ['-c', 'select(.event_type=="TTS_FIRST_AUDIO")', file]) });
  } else notes.push('jq not installed');
  const duck = duckSubject(file);
  if (duck) subjects.push(duck);
  else notes.push('DuckDB ran in the bench process (no compiled duckdb-peer.js): its figures mean nothing');

  // correctness first: a disagreement fails the bench (this is also the untimed first run of both)
  if (summary) await checkAgreement(summary, duck, file);
  const dailyFolder = summary ? ensureDailyFolder(file, DAILY_FILES) : undefined;
  if (summary && dailyFolder) {
    const daily = node('daily', [cli, 'summary', '--json', dailyFolder]);
    checkDailyAgreement(summary.run(true), daily.run(true));
    subjects.push(daily);
  }

  const runs: Record<Key, ProcUsage[]> = { summary: [], jq: [], parse: [], duck: [], daily: [] };
  const usable = subjects.filter((s) => {
    try {
      if (s.key !== 'summary' && s.key !== 'duck' && s.key !== 'daily') s.run(); // warm-up
      return true;
    } catch (err) {
      notes.push(`${s.key} failed: ${(err as Error).message.split('\n')[0]}`);
      return false;
    }
  });
  for (let r = 0; r < opts.repetitions; r++) for (const s of usable) runs[s.key].push(s.run());
  if (!duck && summary) for (let r = 0; r < opts.repetitions; r++) runs.duck.push(await duckInProcess(file));
  const med = (k: Key, f: (u: ProcUsage) => number | undefined): number => {
    const v = runs[k].map(f).filter((x): x is number => x !== undefined && Number.isFinite(x));
    return v.length ? median(v) : Number.NaN;
  };
  const rate = (k: Key): number => mb / med(k, (u) => u.wall_s);
  const result: SummaryResult = {
    summary_mb_per_sec: rate('summary'),
    jq_mb_per_sec: rate('jq'),
    parse_mb_per_sec: rate('parse'),
    summary_file_mb: mb,
    summary_events: opts.events,
    summary_note: notes.join('; '),
    summary_wall_s: med('summary', (u) => u.wall_s),
    summary_cpu_s: med('summary', (u) => u.cpu_s),
    summary_rss_mb: med('summary', (u) => u.rss_mb),
    duck_wall_s: med('duck', (u) => u.wall_s),
    duck_cpu_s: med('duck', (u) => u.cpu_s),
    duck_rss_mb: med('duck', (u) => u.rss_mb),
    parse_cpu_s: med('parse', (u) => u.cpu_s),
    jq_cpu_s: med('jq', (u) => u.cpu_s),
    duck_agrees: summary !== undefined,
    daily_files: dailyFolder ? readdirSync(dailyFolder).length : 0, // fewer than DAILY_FILES for a file of fewer lines
    summary_daily_wall_s: med('daily', (u) => u.wall_s),
    summary_daily_cpu_s: med('daily', (u) => u.cpu_s),
  };
  if (opts.largeEvents && duck && summary) Object.assign(result, await measureLarge(opts.largeEvents, summaryOf));
  return result;
}

/** summary against DuckDB on the large file: the agreement check, then two rounds. */
async function measureLarge(events: number, summaryOf: (file: string) => Subject): Promise<Partial<SummaryResult>> {
  const file = await ensureEventsFile(events);
  const summary = summaryOf(file);
  const duck = duckSubject(file)!;
  await checkAgreement(summary, duck, file);
  const s: ProcUsage[] = [];
  const d: ProcUsage[] = [];
  for (let r = 0; r < 2; r++) {
    s.push(summary.run());
    d.push(duck.run());
  }
  const m = (runs: ProcUsage[], f: (u: ProcUsage) => number | undefined): number => median(runs.map((u) => f(u) ?? Number.NaN));
  return {
    large_events: events,
    large_file_mb: statSync(file).size / 1e6,
    summary_large_wall_s: m(s, (u) => u.wall_s),
    summary_large_cpu_s: m(s, (u) => u.cpu_s),
    summary_large_rss_mb: m(s, (u) => u.rss_mb),
    duck_large_wall_s: m(d, (u) => u.wall_s),
    duck_large_cpu_s: m(d, (u) => u.cpu_s),
    duck_large_rss_mb: m(d, (u) => u.rss_mb),
  };
}
