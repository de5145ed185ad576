#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { demoCommand } from './demo-command.js';
import { anomaliesCommand } from './commands/anomalies.js';
import { queryCommand } from './commands/query.js';
import { replayCommand } from './commands/replay.js';
import { reportCommand } from './commands/report.js';
import { summaryCommand } from './commands/summary.js';
import { tailCommand } from './commands/tail.js';
import { timelineCommand } from './commands/timeline.js';
import { UsageError } from './errors.js';

/**
 * The `voicemode-events` command. Argument parsing is commander's (well kept, typed,
 * generates --help). Exit codes: 0 success, 1 data errors, 2 usage errors.
 */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('voicemode-events')
    .description('Unified event logging for voice assistants: demo, and offline analysis of JSONL event logs')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(demoCommand());
  program.addCommand(summaryCommand());
  program.addCommand(timelineCommand());
  program.addCommand(queryCommand());
  program.addCommand(tailCommand());
  program.addCommand(replayCommand());
  program.addCommand(reportCommand());
  program.addCommand(anomaliesCommand());
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`voicemode-events: ${(err as Error)?.message ?? String(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

// The reader of our output went away (`... | head`): that is how a pipe ends, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
});

process.exitCode = await main(process.argv);
