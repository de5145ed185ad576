#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Help } from 'commander';
import { COMMANDS, commandToRun } from './command-registry.js';
import { UsageError } from './errors.js';

/**
 * The `voicemode-events` command. Argument parsing is commander's (well kept, typed,
 * generates --help). Exit codes: 0 success, 1 data errors, 2 usage errors.
 */
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

/**
 * The program for one command line: the command it runs is loaded (its module and everything
 * it imports), every other command is listed by name only (command-registry.ts).
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('voicemode-events')
    .description('Unified event logging for voice assistants: demo, and offline analysis of JSONL event logs')
    .version(pkg.version)
    .showHelpAfterError()
    .exitOverride();
  const terms = new Map(COMMANDS.map((c) => [c.name, c.term]));
  const plain = new Help();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? plain.subcommandTerm(cmd) });
  const wanted = commandToRun(argv.slice(2));
  for (const entry of COMMANDS) {
    program.addCommand(entry.name === wanted ? await entry.load() : new Command(entry.name).description(entry.description));
  }
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

async function main(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv);
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
