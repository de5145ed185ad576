import { Command, InvalidArgumentError } from 'commander';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { liveEvents, processEnv, resolveConfig, warnStderr } from 'voicemode-events/internal';
import { runDemo, type DemoOptions } from './demo/run-demo.js';
import { startProgress } from './progress.js';
import { addPricesOption } from './prices-option.js';
import { pricesFromOptions } from './analysis/prices.js';

/**
 * The file that the log folder, or the nearest existing part of its path, is; undefined when
 * there is none. Said plainly to the user (the writer would only report EEXIST / ENOTDIR).
 */
async function fileInPlaceOfFolder(dir: string): Promise<string | undefined> {
  for (let p = resolve(dir); ; p = dirname(p)) {
    const st = await stat(p).catch(() => undefined);
    if (st?.isFile()) return p;
    if (st !== undefined || dirname(p) === p) return undefined;
  }
}

function positiveInt(name: string, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    return n;
  };
}

function nonNegativeInt(raw: string): number {
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('seed must be a whole number >= 0');
  return n;
}

function probability(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new InvalidArgumentError('must be a probability from 0 to 1');
  return n;
}

function positiveNumber(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('speed must be a number > 0');
  return n;
}

export function demoCommand(): Command {
  const cmd = new Command('demo')
    .description('Run simulated voice conversations through the real API and write their events (JSONL by default)')
    .option('--dir <dir>', 'event log folder (default: $VOICEMODE_EVENT_LOG_DIR or ~/voicemode_logs)')
    .option('--sessions <n>', 'conversations to run concurrently', positiveInt('sessions', 1000), 2)
    .option('--turns <n>', 'user turns per conversation', positiveInt('turns', 100_000), 3)
    .option('--seed <n>', 'random seed: the same seed gives the same event sequence', nonNegativeInt, 42)
    .option('--speed <x>', 'divide every simulated delay by x (e.g. 50 for a fast run)', positiveNumber, 1)
    .option('--error-rate <p>', 'probability that a TTS attempt fails (it is retried once)', probability, 0.08)
    .option('--no-speech-rate <p>', 'probability that the VAD hears no speech (the user is recorded again)', probability, 0.1)
    .option('--barge-in-rate <p>', 'probability that the user talks over a reply (a barge-in cuts it short)', probability, 0.1)
    .addHelpText('after', '\nExamples:\n  $ voicemode-events demo --dir ./logs --sessions 3 --turns 5 --speed 20\n  $ voicemode-events demo --speed 50 --prices docs/prices.example.json\n');
  addPricesOption(cmd);
  return cmd.action(
    async (opts: { dir?: string; sessions: number; turns: number; seed: number; speed: number; errorRate: number; noSpeechRate: number; bargeInRate: number; prices?: string }) => {
      const prices = await pricesFromOptions(opts.prices);
      const dir = resolve(opts.dir ?? resolveConfig().dir);
      const file = await fileInPlaceOfFolder(dir);
      const { prices: _path, ...rest } = opts;
      let run: DemoOptions = { ...rest, prices };
      if (file !== undefined) {
        // as for any folder it cannot use: one warning, and the demo runs on without files
        const source = opts.dir !== undefined ? '--dir' : 'VOICEMODE_EVENT_LOG_DIR';
        warnStderr(`${file === dir ? '' : `cannot use ${dir}: `}${file} is a file, not a folder (${source} names the folder for the event logs); the demo continues without writing JSONL files`);
        run = { ...run, env: { ...processEnv(), VOICEMODE_EVENT_LOG_ENABLED: 'false' } };
      }
      const before = liveEvents.emitted;
      const stop = startProgress((s) => `demo: ${s} s, ${liveEvents.emitted - before} events so far (${opts.sessions} conversation(s) of ${opts.turns} user turn(s) each)`);
      try {
        await runDemo(run);
      } finally {
        stop();
      }
    },
  );
}
