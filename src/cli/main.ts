#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { demoCommand } from './demo-command.js';

/**
 * The `voicemode-events` command. Argument parsing is commander's (well kept, typed,
 * generates --help). Exit codes: 0 success, 1 data errors, 2 usage errors.
 */
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('voicemode-events')
    .description('Unified event logging for voice assistants: demo, and offline analysis of JSONL event logs')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  program.addCommand(demoCommand());
  for (const cmd of program.commands) cmd.exitOverride();
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
    return 1;
  }
}

process.exitCode = await main(process.argv);
