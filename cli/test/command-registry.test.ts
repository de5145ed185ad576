import { Help } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandToRun, helpAsked } from '../src/command-registry.js';

/**
 * `voicemode-events --help` lists the commands from the registry without loading them (start-up
 * time, issue 14 item 6). Every entry must say what its real command says, or the listing
 * would drift from the commands' own help.
 */
describe('command registry', () => {
  it('lists every command with the name, usage term and description of the real command', { timeout: 30_000 }, async () => {
    const help = new Help();
    for (const entry of COMMANDS) {
      const cmd = await entry.load();
      expect(cmd.name()).toBe(entry.name);
      expect(help.subcommandTerm(cmd), entry.name).toBe(entry.term);
      expect(cmd.description(), entry.name).toBe(entry.description);
    }
    expect(new Set(COMMANDS.map((c) => c.name)).size).toBe(COMMANDS.length);
  });

  it('finds the command a command line runs', () => {
    expect(commandToRun([])).toBeUndefined();
    expect(commandToRun(['--help'])).toBeUndefined();
    expect(commandToRun(['-V'])).toBeUndefined();
    expect(commandToRun(['summary', '--json', 'logs'])).toBe('summary');
    expect(commandToRun(['-h', 'timeline', '--session', 'x'])).toBe('timeline');
    expect(commandToRun(['help', 'query'])).toBe('query');
    expect(commandToRun(['help'])).toBeUndefined();
    expect(commandToRun(['--', 'summary'])).toBeUndefined();
  });

  it('tells a command line that asks for help (the command does not run) from one that runs', () => {
    for (const help of [[], ['--help'], ['-V'], ['help'], ['help', 'summary'], ['summary', '--help'], ['summary', 'logs', '-h'], ['--', 'summary']]) {
      expect(helpAsked(help), help.join(' ')).toBe(true);
    }
    for (const runs of [['summary'], ['summary', '--json', 'logs'], ['summary', 'logs', '--', '--help'], ['report', '-o', 'r.html', 'logs']]) {
      expect(helpAsked(runs), runs.join(' ')).toBe(false);
    }
  });
});
