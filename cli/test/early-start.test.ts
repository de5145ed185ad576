import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mayHoldLogs, startsParseWorkerEarly } from '../src/early-start.js';

/**
 * The rule early-start.ts starts a parse worker by, as the process starts (issue 14, round 8):
 * an analysis command, not asking for help, given a word that names a log or a folder with one.
 * (test/commands/lazy-imports.test.ts checks the real process: threads started and used.)
 */
describe('the early parse worker rule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vme-early-rule-'));
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'readme.txt'), 'x');
  writeFileSync(join(logs, 'voicemode_events_2026-01-05.jsonl.gz'), 'x');
  const noLogs = join(dir, 'empty');
  mkdirSync(noLogs);
  writeFileSync(join(noLogs, 'readme.txt'), 'x');
  const file = join(dir, 'any-name.txt');
  writeFileSync(file, '{}\n');
  const emptyFile = join(dir, 'empty.jsonl');
  writeFileSync(emptyFile, '');

  it('a path may hold logs: a non-empty file of any name, a folder with a .jsonl or .jsonl.gz in it', () => {
    expect(mayHoldLogs(logs)).toBe(true);
    expect(mayHoldLogs(file)).toBe(true);
    expect(mayHoldLogs(noLogs)).toBe(false);
    expect(mayHoldLogs(emptyFile)).toBe(false);
    expect(mayHoldLogs(join(dir, 'missing'))).toBe(false);
    expect(mayHoldLogs('provider')).toBe(false); // an option's value, as a word
  });

  it('only the commands that parse in workers, running, with such a path', () => {
    expect(startsParseWorkerEarly(['summary', logs])).toBe(true);
    expect(startsParseWorkerEarly(['anomalies', '--json', file])).toBe(true);
    expect(startsParseWorkerEarly(['report', '-o', join(dir, 'r.html'), logs])).toBe(true);
    expect(startsParseWorkerEarly(['summary', '--by', 'provider', logs, noLogs])).toBe(true);
    expect(startsParseWorkerEarly(['summary'])).toBe(false); // the default folders: found by the command
    expect(startsParseWorkerEarly(['summary', noLogs])).toBe(false);
    expect(startsParseWorkerEarly(['summary', '--help', logs])).toBe(false);
    expect(startsParseWorkerEarly(['timeline', '--session', 's1', logs])).toBe(false);
    expect(startsParseWorkerEarly(['query', logs])).toBe(false);
    expect(startsParseWorkerEarly([logs])).toBe(false);
  });
});
