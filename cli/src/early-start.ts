import { opendirSync, statSync } from 'node:fs';
import { COMMANDS, commandToRun, helpAsked } from './command-registry.js';

/**
 * Run first, on its own (bin/voicemode-events.js imports it before main.js: ES modules are all
 * loaded before any runs). A command that reads whole logs through the parse workers
 * (command-registry.ts `parsesInWorkers`) given a path that holds a log gets its first worker
 * started now, ~45 ms after the process started, instead of once its own modules are loaded and
 * its files found (~85 ms): the worker's start (an isolate, its modules, its wasm: ~35 ms of CPU)
 * then runs beside the loading of the CLI (issue 14, round 8).
 *
 * Only when a word of the command line names a non-empty file or a folder with a `.jsonl` or
 * `.jsonl.gz` file in it (a cheap look, not the discovery: a word that is an option's value and
 * happens to name one only costs an idle worker). Without such a word (no path: the default
 * folders; a folder without logs: issue 14 item 6) nothing starts here, as before.
 */
export function mayHoldLogs(word: string): boolean {
  try {
    const st = statSync(word, { throwIfNoEntry: false });
    if (st === undefined) return false;
    if (st.isFile()) return st.size > 0;
    if (!st.isDirectory()) return false;
    const dir = opendirSync(word);
    try {
      for (let e = dir.readSync(); e !== null; e = dir.readSync()) if (/\.jsonl(\.gz)?$/.test(e.name)) return true;
    } finally {
      dir.closeSync();
    }
  } catch {
    // unreadable: the command reports it
  }
  return false;
}

/** Whether the command line is one whose first parse worker is worth starting now. */
export function startsParseWorkerEarly(args: readonly string[]): boolean {
  const wanted = commandToRun(args);
  if (COMMANDS.find((c) => c.name === wanted)?.parsesInWorkers !== true || helpAsked(args)) return false;
  const words = args.filter((a) => !a.startsWith('-') && a !== wanted);
  return words.some(mayHoldLogs);
}

if (startsParseWorkerEarly(process.argv.slice(2))) (await import('./reader/early-parse-worker.js')).startEarlyParseWorker();
