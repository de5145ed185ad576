import { outputRedactor } from '../redact-output.js';
import { escapeJsonText } from '../terminal-text.js';
import { Command } from 'commander';
import { globToRegExp, isTopLevelKey, parseWhere, TOP_LEVEL_KEYS, type WhereCondition } from '../analysis/filter.js';
import { UsageError } from '../reader/errors.js';
import { addTimeOptions, addVerboseOption, baseFilter, readInputs, type InputOptions } from '../input.js';
import { positiveIntArg } from './summary.js';

interface QueryOptions extends InputOptions {
  type?: string;
  where: string[];
  limit?: number;
}

export function queryCommand(): Command {
  const cmd = new Command('query')
    .description('Print the matching lines as JSONL (original text, merged by time across files), streaming')
    .argument('[paths...]', 'log files or folders (.jsonl, .jsonl.gz); default: the configured log folder')
    .option('--type <glob>', "event types: * and ? wildcards, comma for alternatives (e.g. 'TTS_*,STT_ERROR')")
    .option('--session <id>', 'only this session')
    .option(
      '--where <cond>',
      'field condition, repeatable (all must hold): data.provider=openai, turn=2, session_id=null, data.metrics.ttfa_ms!=0',
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option('--limit <n>', 'stop after n lines', positiveIntArg('--limit'));
  addTimeOptions(cmd);
  addVerboseOption(cmd);
  return cmd
    .addHelpText('after', "\nExamples:\n  $ voicemode-events query ~/voicemode_logs --type 'TTS_*' --where data.provider=openai --since 24h | head\n  $ voicemode-events query --type '*_ERROR' --limit 20\n")
    .action(async (paths: string[], opts: QueryOptions) => {
      const where: WhereCondition[] = [];
      for (const w of opts.where) {
        const c = parseWhere(w);
        if (!c) throw new UsageError(`--where ${JSON.stringify(w)}: expected key.path=value or key.path!=value`);
        if (!isTopLevelKey(c.path[0]!)) {
          // it matches nothing: say why, and what was probably meant
          process.stderr.write(
            `voicemode-events: --where ${JSON.stringify(w)} matches no line: top-level keys are ` +
              `${TOP_LEVEL_KEYS.filter((k) => k !== 'data').join('/')}; event fields are under data (data.${c.path.join('.')})\n`,
          );
        }
        where.push(c);
      }
      const filter = { ...baseFilter(opts), type: opts.type ? globToRegExp(opts.type) : undefined, typeGlob: opts.type, where };
      let closed = false;
      const onError = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'EPIPE') closed = true;
      };
      process.stdout.on('error', onError);
      const redact = outputRedactor();
      let pending: string[] = [];
      let printed = 0;
      const flush = async (): Promise<void> => {
        if (pending.length === 0 || closed) return;
        const text = pending.join('');
        pending = [];
        // the lines as they were (valid JSON), with DEL and C1 written as \u00HH: a terminal takes U+009B for CSI
        if (!process.stdout.write(escapeJsonText(text))) {
          await new Promise<void>((resolve) => {
            const done = (): void => {
              process.stdout.off('drain', done);
              process.stdout.off('error', done);
              process.stdout.off('close', done);
              resolve();
            };
            process.stdout.on('drain', done);
            process.stdout.on('error', done);
            process.stdout.on('close', done);
          });
        }
      };
      await readInputs(
        paths,
        opts,
        filter,
        (ev) => {
          if (closed) return false;
          pending.push(redact.line(ev.raw!) + '\n');
          printed++;
          if (opts.limit !== undefined && printed >= opts.limit) return false;
          return undefined;
        },
        { keepRaw: true, afterChunk: flush },
      );
      await flush();
    });
}
