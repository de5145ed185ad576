/**
 * Speed of `voicemode-events summary --json` against its peers on the same file, in the same
 * run (ratios, not absolute times: the machines are noisy):
 *   - jq -c 'select(.event_type=="TTS_FIRST_AUDIO")'  (target: summary at least 2x faster)
 *   - bare Node readline + JSON.parse per line           (target: summary within 1.5x)
 * and the peak RSS of summary (target < 200 MB for a 1 GB input: pass --file of that size).
 *
 *   npm run build && npx tsc -p tsconfig.bench.json && node dist-bench/bench/summary-bench.js [--events 1000000] [--format python|ours|mixed] [--file F] [--runs 3]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEventsFile } from './generate-events.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string): string => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const events = Number(arg('--events', '1000000'));
const format = arg('--format', 'python') as 'python' | 'ours' | 'mixed';
const runs = Number(arg('--runs', '3'));
const cli = join(process.cwd(), 'cli/dist/main.js');
if (!existsSync(cli)) throw new Error('run `npm run build` first');

let file = arg('--file', '');
if (!file) {
  file = join(tmpdir(), `voicemode-bench-${format}-${events}.jsonl`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${events} events (${format}) to ${file}\n`);
    await generateEventsFile(file, { events, format });
  }
}
const mb = statSync(file).size / 1048576;

const BARE = `
const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(process.argv[1]), crlfDelay: Infinity });
let n = 0; rl.on('line', (l) => { if (l) { JSON.parse(l); n++; } }); rl.on('close', () => console.log(n));`;

interface Subject {
  name: string;
  cmd: string;
  args: string[];
}
const subjects: Subject[] = [
  { name: 'summary --json', cmd: process.execPath, args: [cli, 'summary', '--json', file] },
  // --baseline DIR: another checkout, built (e.g. a worktree of the commit before a change), measured in the same run
  ...(arg('--baseline', '') ? [{ name: 'baseline summary --json', cmd: process.execPath, args: [join(arg('--baseline', ''), 'cli/dist/main.js'), 'summary', '--json', file] }] : []),
  { name: 'bare readline+JSON.parse', cmd: process.execPath, args: ['-e', BARE, file] },
];
const hasJq = spawnSync('jq', ['--version']).status === 0;
if (hasJq) subjects.push({ name: "jq select(TTS_FIRST_AUDIO)", cmd: 'jq', args: ['-c', 'select(.event_type=="TTS_FIRST_AUDIO")', file] });

/** Wall seconds and peak RSS (KiB) via GNU time. */
function measure(s: Subject): { sec: number; rssMb: number } {
  const out = spawnSync('/usr/bin/time', ['-f', '%e %M', s.cmd, ...s.args], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (out.status !== 0) throw new Error(`${s.name} failed: ${out.stderr}`);
  const last = out.stderr.trim().split('\n').pop()!.split(' ');
  return { sec: Number(last[0]), rssMb: Number(last[1]) / 1024 };
}

const results = new Map<string, { sec: number; rssMb: number }>();
for (let r = 0; r < runs; r++) {
  for (const s of subjects) {
    const m = measure(s);
    const best = results.get(s.name);
    if (!best || m.sec < best.sec) results.set(s.name, { sec: m.sec, rssMb: Math.max(m.rssMb, best?.rssMb ?? 0) });
  }
}
const summary = results.get('summary --json')!;
const bare = results.get('bare readline+JSON.parse')!;
const jq = results.get("jq select(TTS_FIRST_AUDIO)");
const cpu = execFileSync('nproc', { encoding: 'utf8' }).trim();
console.log(`file: ${file} (${mb.toFixed(0)} MB${arg('--file', '') ? '' : `, ${events} events, ${format}`}); best of ${runs}; ${cpu} cores`);
for (const [name, m] of results) console.log(`  ${name.padEnd(28)} ${m.sec.toFixed(2)} s  ${(mb / m.sec).toFixed(0)} MB/s  peak RSS ${m.rssMb.toFixed(0)} MB`);
console.log(`  summary / bare parse: ${(summary.sec / bare.sec).toFixed(2)}x (target <= 1.5x)`);
if (jq) console.log(`  jq / summary:         ${(jq.sec / summary.sec).toFixed(2)}x faster (target >= 2x)`);
