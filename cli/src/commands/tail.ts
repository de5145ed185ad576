import { outputRedactor } from '../redact-output.js';
import { Command, InvalidArgumentError } from 'commander';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { TurnAssigner } from '../analysis/turns.js';
import { describeOpenError, isLogFileName, NotRegularFileError, openRegular, resolveConfig } from 'voicemode-events/internal';
import { METRIC_NAMES, type MetricName, type MetricSample, MetricsDeriver } from 'voicemode-events/metrics';
import { DataError, UsageError } from '../reader/errors.js';
import { LineSplitter } from '../reader/line-splitter.js';
import { isBlank, parseLine, type FileEvent } from '../reader/parse-line.js';
import { fit, iso, micro, outputColumns, sec, wrapParts } from '../format.js';
import { warnLine } from '../input.js';
import { escapeControl, escapeJsonText } from '../terminal-text.js';

interface TailOptions {
  json?: boolean;
  lines: number;
  interval: number;
}

/**
 * Plain (not .gz) log files of a folder, newest last (by the date in the name, then name).
 * Only regular files: a FIFO or device named like a log file is skipped, with one warning
 * per path (`warned`), as opening it would hang the command.
 */
async function logFiles(dir: string, warned: Set<string>): Promise<string[]> {
  let all: string[];
  try {
    all = await readdir(dir);
  } catch (err) {
    throw new DataError(describeOpenError(dir, err));
  }
  const out: string[] = [];
  for (const n of all.filter((n) => isLogFileName(n, { gz: false })).sort()) {
    const path = join(dir, n);
    try {
      if (!(await stat(path)).isFile()) {
        if (!warned.has(path)) warnLine(`${path} is not a regular file; skipped`);
        warned.add(path);
        continue;
      }
    } catch {
      continue; // removed meanwhile
    }
    out.push(path);
  }
  return out;
}

function nonNegInt(name: string) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a whole number >= 0`);
    return n;
  };
}

const TAIL_START_BYTES = 256 * 1024;

/**
 * Follows the newest log file of a folder by polling (portable; fs.watch misses appends on
 * some file systems), switching to the next file when the writer rotates (a newer name
 * appears: the rest of the current file is read first). Events are printed as they arrive;
 * a turn's metrics are printed when the turn completes (the session's next turn begins or
 * the session ends).
 */
export function tailCommand(): Command {
  return new Command('tail')
    .description("Follow the newest log file (across rotation to the next day's file), printing events and each turn's metrics as they complete")
    .argument('[dir]', 'log folder (default: $VOICEMODE_EVENT_LOG_DIR or ~/voicemode_logs)')
    .option('-n, --lines <n>', 'show the last n events of the newest file first', nonNegInt('--lines'), 10)
    .option('--json', 'print JSON lines: {"kind":"event",...} and {"kind":"turn_metrics",...}')
    .option('--interval <ms>', 'poll interval in milliseconds', nonNegInt('--interval'), 250)
    .addHelpText('after', '\nExample:\n  $ voicemode-events tail ~/voicemode_logs --lines 0\n  (Ctrl-C to stop)\n')
    .action(async (dirArg: string | undefined, opts: TailOptions) => {
      const dir = dirArg ? resolve(dirArg) : resolveConfig().dir;
      let st;
      try {
        st = await stat(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`no such folder: ${dir}`);
        throw new DataError(describeOpenError(dir, err));
      }
      if (!st.isDirectory()) throw new UsageError(`not a folder: ${dir} (tail follows a log folder)`);

      const redact = outputRedactor();
      // DEL and C1 (left raw by JSON.stringify) escaped on every line; C0 where content is put in
      const out = (s: string): void => {
        process.stdout.write(escapeJsonText(s) + '\n');
      };
      // per session: samples of the current turn, to print when the turn completes
      const turnOfSession = new Map<string | null, { assigner: TurnAssigner; turn: number | undefined; samples: MetricSample[] }>();
      const printTurn = (sessionId: string | null, turn: number, samples: MetricSample[]): void => {
        if (samples.length === 0) return;
        const metrics: Partial<Record<MetricName, number[]>> = {};
        for (const m of METRIC_NAMES) for (const s of samples) if (s.metric === m) (metrics[m] ??= []).push(micro(s.seconds));
        if (opts.json) out(JSON.stringify({ kind: 'turn_metrics', session_id: sessionId, turn, metrics }));
        else {
          const parts = METRIC_NAMES.filter((m) => metrics[m]).map((m) => `${m} ${metrics[m]!.map(sec).join(', ')}`);
          out(wrapParts(`  turn ${turn} of ${sessionId === null ? '(no session)' : escapeControl(sessionId)}: `, parts, outputColumns()));
        }
      };
      const deriver = new MetricsDeriver((s) => {
        const st = turnOfSession.get(s.sessionId);
        st?.samples.push(s);
      });
      let quiet = false;
      const handle = (ev: FileEvent): void => {
        let st = turnOfSession.get(ev.sessionId);
        if (st === undefined) turnOfSession.set(ev.sessionId, (st = { assigner: new TurnAssigner(), turn: undefined, samples: [] }));
        const turn = st.assigner.assign(ev.eventType, ev.turn);
        if (turn !== undefined && st.turn !== undefined && turn !== st.turn) {
          if (!quiet) printTurn(ev.sessionId, st.turn, st.samples);
          st.samples = [];
        }
        if (turn !== undefined) st.turn = turn;
        if (!quiet) {
          if (opts.json) {
            out(JSON.stringify({ kind: 'event', timestamp: iso(ev.timestampUs), event_type: ev.eventType, session_id: ev.sessionId, turn: turn ?? null, data: redact.data(ev.data) }));
          } else {
            const t = iso(ev.timestampUs)!.slice(11, 23);
            // the data shortened so the line fits the terminal (62 = time, session, type columns)
            const data = fit(escapeControl(JSON.stringify(redact.data(ev.data))), Math.max(20, outputColumns() - 62));
            out(`${t}  ${escapeControl(ev.sessionId ?? '-').padEnd(26)} ${escapeControl(ev.eventType).padEnd(20)} ${data === '{}' ? '' : data}`.trimEnd());
          }
        }
        deriver.push(ev);
        if (ev.eventType === 'SESSION_END') {
          if (!quiet && st.turn !== undefined) printTurn(ev.sessionId, st.turn, st.samples);
          turnOfSession.delete(ev.sessionId);
        }
      };

      const warned = new Set<string>();
      let files = await logFiles(dir, warned);
      let current = files[files.length - 1];
      let offset = 0;
      let lineNo = 0;
      let evs: FileEvent[] = [];
      // lines over the length bound are skipped without being held (as in the other commands)
      const newSplitter = (): LineSplitter =>
        new LineSplitter(
          (l) => {
            lineNo++;
            if (isBlank(l)) return;
            const ev = parseLine(l.endsWith('\r') ? l.slice(0, -1) : l, 0, lineNo);
            if (ev) evs.push(ev);
          },
          () => void lineNo++,
        );
      let splitter = newSplitter();

      const readNew = async (path: string): Promise<FileEvent[]> => {
        evs = [];
        let fh;
        let size: number;
        try {
          ({ fh, size } = await openRegular(path));
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          if (code === 'ENOENT') return evs; // removed meanwhile
          // unreadable, or replaced by a FIFO: say so rather than follow nothing forever
          if (err instanceof NotRegularFileError) throw new DataError(err.message);
          throw new DataError(describeOpenError(path, err));
        }
        try {
          if (size < offset) {
            offset = 0; // truncated: start over
            splitter = newSplitter();
          }
          while (offset < size) {
            const len = Math.min(size - offset, 1 << 20);
            const buf = Buffer.alloc(len);
            const { bytesRead } = await fh.read(buf, 0, len, offset);
            if (bytesRead === 0) break;
            offset += bytesRead;
            splitter.push(buf.subarray(0, bytesRead));
          }
        } finally {
          await fh.close();
        }
        return evs;
      };

      if (current !== undefined) {
        const { size } = await stat(current);
        offset = Math.max(0, size - TAIL_START_BYTES);
        const first = await readNew(current);
        if (offset > 0 && size > TAIL_START_BYTES) first.shift(); // the first line may be cut
        quiet = true;
        const shownFrom = Math.max(0, first.length - opts.lines);
        first.forEach((ev, i) => {
          quiet = i < shownFrom;
          handle(ev);
        });
        quiet = false;
        // On stderr also with --json (stdout stays pure JSON): tells a script that following has begun.
        process.stderr.write(`voicemode-events: following ${current}\n`);
      } else {
        process.stderr.write(`voicemode-events: waiting for a log file in ${dir}\n`);
      }

      let stopping = false;
      const stop = (): void => {
        stopping = true;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      process.stdout.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EPIPE') stopping = true;
      });
      while (!stopping) {
        await new Promise((r) => setTimeout(r, Math.max(opts.interval, 10)));
        if (stopping) break;
        try {
          await stat(dir);
        } catch {
          throw new DataError(`the log folder went away: ${dir}`);
        }
        if (current !== undefined) for (const ev of await readNew(current)) handle(ev);
        files = await logFiles(dir, warned);
        const newest = files[files.length - 1];
        if (newest !== undefined && newest !== current && (current === undefined || basename(newest) > basename(current))) {
          if (current !== undefined) for (const ev of await readNew(current)) handle(ev); // the rest of the old file
          process.stderr.write(`voicemode-events: following ${newest}\n`);
          current = newest;
          offset = 0;
          lineNo = 0;
          splitter = newSplitter();
          for (const ev of await readNew(current)) handle(ev);
        }
      }
    });
}
