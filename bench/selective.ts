import { openSync, readSync, closeSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { median } from './harness.js';
import { runMeasured, type ProcUsage } from './proc-usage.js';
import { ensureEventsFile } from './summary-throughput.js';

/**
 * Issue 14 item 4: the selective commands against `grep -F` on the same file. `timeline
 * --session S` against `grep -F S`, and `query --type TTS_FIRST_AUDIO` against `grep -F
 * TTS_FIRST_AUDIO`: separate processes, stdout read through a pipe for every subject (GNU grep
 * stops at the first match when its output is /dev/null), median over the rounds, wall and CPU.
 *
 * Correctness first: each command's output must equal, byte for byte, the output of the same
 * command with --verbose (which parses every line: the plain path), on this file; so must a
 * query combining a type glob, a session and a --where. A difference fails the bench.
 */
export interface SelectiveOptions {
  events: number;
  repetitions: number;
  cli?: string;
}

export interface SelectiveResult {
  timeline_s: number;
  timeline_cpu_s: number;
  query_s: number;
  query_cpu_s: number;
  /** grep -F of the session id. */
  grep_s: number;
  grep_cpu_s: number;
  /** grep -F of the event type. */
  grep_type_s: number;
  selective_events: number;
  selective_file_mb: number;
  selective_checked: boolean;
}

/** The session of a line in the middle of the file (one that lives amid many others). */
function middleSession(file: string): string {
  const size = statSync(file).size;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, Math.floor(size / 2));
    const lines = buf.toString('utf8', 0, n).split('\n').slice(1, -1);
    for (const l of lines) {
      const sid = (JSON.parse(l) as { session_id?: unknown }).session_id;
      if (typeof sid === 'string') return sid;
    }
  } finally {
    closeSync(fd);
  }
  throw new Error(`no session found in the middle of ${file}`);
}

/**
 * A TTS provider the session used (from its lines, as grep found them): the combined query's
 * check must print something, and which provider a session uses is the generator's draw (a fixed
 * `kokoro` matched nothing in the middle session of the 5M file).
 */
function ttsProviderOf(lines: string, session: string): string {
  for (const l of lines.split('\n')) {
    if (!l) continue;
    const ev = JSON.parse(l) as { event_type?: unknown; session_id?: unknown; data?: { provider?: unknown } | null };
    if (ev.session_id === session && typeof ev.event_type === 'string' && ev.event_type.startsWith('TTS_') && typeof ev.data?.provider === 'string') return ev.data.provider;
  }
  throw new Error(`no TTS event with a provider in session ${session}`);
}

export async function measureSelective(opts: SelectiveOptions): Promise<SelectiveResult> {
  const file = await ensureEventsFile(opts.events);
  const cli = opts.cli ?? resolve('cli/dist/main.js');
  const session = middleSession(file);
  const TYPE = 'TTS_FIRST_AUDIO';
  const node = (args: string[]) => (): ProcUsage => runMeasured(process.execPath, [cli, ...args], { node: true, capture: true });
  const grep = (needle: string) => (): ProcUsage => runMeasured('grep', ['-F', needle, file], { capture: true, okStatus: [0, 1] });
  const provider = ttsProviderOf(grep(session)().stdout, session);
  const subjects = {
    timeline: node(['timeline', '--session', session, file]),
    query: node(['query', '--type', TYPE, file]),
    grep: grep(session),
    grep_type: grep(TYPE),
  };

  // the fast path against the plain one (--verbose parses every line), byte for byte
  const checks: string[][] = [
    ['timeline', '--session', session, file],
    ['query', '--type', TYPE, file],
    ['query', '--type', 'TTS_*,*_ERROR', '--session', session, '--where', `data.provider=${provider}`, file],
    ['query', '--where', 'data.provider=openai', '--where', 'turn=2', file],
  ];
  for (const args of checks) {
    const fast = node(args)().stdout;
    const plain = node([...args, '--verbose'])().stdout;
    if (fast !== plain) throw new Error(`selective fast path differs from the plain one: ${args.slice(0, -1).join(' ')} (${fast.length} vs ${plain.length} chars)`);
    if (fast.length === 0) throw new Error(`selective check printed nothing: ${args.slice(0, -1).join(' ')}`);
  }

  const runs: Record<keyof typeof subjects, ProcUsage[]> = { timeline: [], query: [], grep: [], grep_type: [] };
  for (const run of Object.values(subjects)) run(); // warm-up
  for (let r = 0; r < opts.repetitions; r++) for (const [k, run] of Object.entries(subjects)) runs[k as keyof typeof subjects].push(run());
  const m = (k: keyof typeof subjects, f: (u: ProcUsage) => number): number => median(runs[k].map(f));
  return {
    timeline_s: m('timeline', (u) => u.wall_s),
    timeline_cpu_s: m('timeline', (u) => u.cpu_s),
    query_s: m('query', (u) => u.wall_s),
    query_cpu_s: m('query', (u) => u.cpu_s),
    grep_s: m('grep', (u) => u.wall_s),
    grep_cpu_s: m('grep', (u) => u.cpu_s),
    grep_type_s: m('grep_type', (u) => u.wall_s),
    selective_events: opts.events,
    selective_file_mb: statSync(file).size / 1e6,
    selective_checked: true,
  };
}
