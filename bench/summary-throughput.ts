import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateEventsFile } from './generate-events.js';
import { median } from './harness.js';

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
}

export interface SummaryResult {
  summary_mb_per_sec: number;
  jq_mb_per_sec: number;
  parse_mb_per_sec: number;
  summary_file_mb: number;
  summary_events: number;
  summary_note: string;
}

const BARE = `
const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(process.argv[1]), crlfDelay: Infinity });
let n = 0; rl.on('line', (l) => { if (l) { JSON.parse(l); n++; } }); rl.on('close', () => { process.stdout.write(n + '\\n'); });`;

interface Subject {
  key: 'summary' | 'jq' | 'parse';
  cmd: string;
  args: string[];
}

function timeRun(s: Subject): number {
  const t0 = performance.now();
  const out = spawnSync(s.cmd, s.args, { stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
  const sec = (performance.now() - t0) / 1000;
  if (out.error) throw out.error;
  if (out.status !== 0) throw new Error(`${s.cmd} ${s.args.join(' ')} exited ${out.status}: ${String(out.stderr).slice(0, 500)}`);
  return sec;
}

export async function ensureEventsFile(events: number): Promise<string> {
  const file = join(tmpdir(), `voicemode-bench-ours-v2-${events}.jsonl`);
  if (!existsSync(file)) {
    const partial = `${file}.${process.pid}.tmp`;
    await generateEventsFile(partial, { events, format: 'ours' });
    const { renameSync } = await import('node:fs');
    renameSync(partial, file);
  }
  return file;
}

export async function measureSummary(opts: SummaryOptions): Promise<SummaryResult> {
  const file = await ensureEventsFile(opts.events);
  const mb = statSync(file).size / 1e6;
  const cli = opts.cli ?? resolve('cli/dist/main.js');
  const notes: string[] = [];
  const subjects: Subject[] = [{ key: 'parse', cmd: process.execPath, args: ['-e', BARE, file] }];
  if (existsSync(cli)) subjects.push({ key: 'summary', cmd: process.execPath, args: [cli, 'summary', '--json', file] });
  else notes.push(`no built CLI at ${cli} (run npm run build)`);
  if (spawnSync('jq', ['--version']).status === 0) {
    subjects.push({ key: 'jq', cmd: 'jq', args: ['-c', 'select(.event_type=="TTS_FIRST_AUDIO")', file] });
  } else notes.push('jq not installed');

  const times: Record<string, number[]> = { summary: [], jq: [], parse: [] };
  const usable = subjects.filter((s) => {
    try {
      timeRun(s); // warm-up
      return true;
    } catch (err) {
      notes.push(`${s.key} failed: ${(err as Error).message.split('\n')[0]}`);
      return false;
    }
  });
  for (let r = 0; r < opts.repetitions; r++) for (const s of usable) times[s.key]!.push(timeRun(s));
  const rate = (k: string): number => (times[k]!.length ? mb / median(times[k]!) : Number.NaN);
  return {
    summary_mb_per_sec: rate('summary'),
    jq_mb_per_sec: rate('jq'),
    parse_mb_per_sec: rate('parse'),
    summary_file_mb: mb,
    summary_events: opts.events,
    summary_note: notes.join('; '),
  };
}
