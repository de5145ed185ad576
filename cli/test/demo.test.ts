import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { deriveMetrics } from '../../test/helpers/lib.js';
import { DEFAULT_DELAYS, SeededRandom, SimulatedVoice } from '../src/demo/simulated-voice.js';
import { lineToRecord, readLines, tempDir } from '../../test/helpers/harness.js';

const bin = resolve('cli/dist/main.js');

function demo(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, 'demo', ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Each session's events with what must repeat for a seed: type, turn and data (ids and times removed). */
function sequences(lines: Record<string, unknown>[]): string[] {
  const bySession = new Map<string, string[]>();
  for (const l of lines) {
    const key = l.session_id as string;
    const data = { ...(l.data as Record<string, unknown>) };
    delete data.duration; // measured times, not drawn from the seed
    delete data.audio_s;
    delete data.played_s;
    if (!bySession.has(key)) bySession.set(key, []);
    bySession.get(key)!.push(`${l.event_type}:${l.turn}:${JSON.stringify(data)}`);
  }
  return [...bySession.values()].map((s) => s.join('|')).sort();
}

describe('voicemode-events demo (the built binary)', () => {
  it('runs concurrent sessions, prints their metrics and writes complete JSONL files', () => {
    const dir = join(tempDir(), 'logs');
    const r = demo(['--dir', dir, '--sessions', '3', '--turns', '3', '--seed', '7', '--speed', '100']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ttfa .* response .* voice-to-voice/);
    expect(r.stdout).toContain(`Events written to ${dir}`);
    const lines = readLines(dir);
    const sessions = new Set(lines.map((l) => l.session_id));
    expect(sessions.size).toBe(3);
    for (const id of sessions) {
      const mine = lines.filter((l) => l.session_id === id);
      expect(mine[0]!.event_type).toBe('SESSION_START');
      expect(mine.at(-1)!.event_type).toBe('SESSION_END');
      expect(r.stdout).toContain(String(id));
    }
    const { samples } = deriveMetrics(lines.map(lineToRecord));
    expect(samples.filter((s) => s.metric === 'response_time').length).toBeGreaterThanOrEqual(9);
    expect(samples.every((s) => s.seconds >= 0)).toBe(true);
  });

  it('the same seed gives the same event sequence', () => {
    const [a, b] = [join(tempDir(), 'a'), join(tempDir(), 'b')];
    for (const dir of [a, b]) expect(demo(['--dir', dir, '--sessions', '2', '--turns', '4', '--seed', '11', '--speed', '200']).code).toBe(0);
    const sa = sequences(readLines(a));
    expect(sa).toHaveLength(2);
    expect(sequences(readLines(b))).toEqual(sa);
    const c = join(tempDir(), 'c');
    demo(['--dir', c, '--sessions', '2', '--turns', '4', '--seed', '12', '--speed', '200']);
    expect(sequences(readLines(c))).not.toEqual(sa);
  });

  it('a folder it cannot use: one warning naming the path, and exit code 0', () => {
    const base = tempDir();
    const blocked = join(base, 'not-a-folder');
    writeFileSync(blocked, 'x');
    const r = demo(['--dir', join(blocked, 'logs'), '--sessions', '2', '--turns', '1', '--speed', '200']);
    expect(r.code).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.startsWith('voicemode-events: warning:'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(join(blocked, 'logs'));
    expect(r.stdout).toContain('ttfa');
  });

  it.each([
    ['--sessions', '0'],
    ['--speed', '-1'],
    ['--error-rate', '2'],
    ['--bogus', '1'],
  ])('rejects %s %s with exit code 2 and a clear message', (flag, value) => {
    const r = demo([flag, value, '--dir', join(tempDir(), 'x')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});

describe('the simulated providers', () => {
  it('draw delays in the documented ranges (TTFA 0.15-1.2 s, recording 1-6 s, STT 0.2-1.5 s, LLM TTFT 0.2-1.5 s)', () => {
    const rand = new SeededRandom(1);
    const draws = { ttfa: [] as number[], rec: [] as number[], stt: [] as number[], think: [] as number[] };
    for (let i = 0; i < 2000; i++) {
      draws.ttfa.push(rand.between(...DEFAULT_DELAYS.ttfaS));
      draws.rec.push(rand.between(...DEFAULT_DELAYS.recordingS));
      draws.stt.push(rand.between(...DEFAULT_DELAYS.sttS));
      draws.think.push(rand.between(...DEFAULT_DELAYS.llmTtftS));
    }
    const range = (xs: number[]) => [Math.min(...xs), Math.max(...xs)];
    const [t0, t1] = range(draws.ttfa);
    expect(t0).toBeGreaterThanOrEqual(0.15);
    expect(t0).toBeLessThan(0.16);
    expect(t1).toBeLessThan(1.2);
    expect(t1).toBeGreaterThan(1.19);
    expect(range(draws.rec)[0]).toBeGreaterThanOrEqual(1);
    expect(range(draws.rec)[1]).toBeLessThan(6);
    expect(range(draws.stt)[0]).toBeGreaterThanOrEqual(0.2);
    expect(range(draws.think)[0]).toBeGreaterThanOrEqual(0.2);
    expect(range(draws.think)[1]).toBeLessThan(1.5);
    const again = new SeededRandom(1);
    expect(again.between(...DEFAULT_DELAYS.ttfaS)).toBe(draws.ttfa[0]);
  });

  it('an LLM reply is 20-80 tokens', () => {
    const sim = new SimulatedVoice(new SeededRandom(2), 1000);
    const counts = Array.from({ length: 500 }, () => sim.planLlm().tokens.length);
    expect(Math.min(...counts)).toBe(20);
    expect(Math.max(...counts)).toBe(80);
  });
});

describe("the spec's own Python analysis snippet agrees with our derivation", () => {
  const python = spawnSync('python3', ['--version']).status === 0;

  it.skipIf(!python)('same average TTFA on a demo file without TTS errors', () => {
    const dir = join(tempDir(), 'logs');
    expect(demo(['--dir', dir, '--sessions', '3', '--turns', '4', '--seed', '3', '--speed', '50', '--error-rate', '0']).code).toBe(0);
    const [file] = execFileSync('ls', [dir], { encoding: 'utf8' }).trim().split('\n');
    const py = JSON.parse(execFileSync('python3', [resolve('test/fixtures/spec_analysis.py'), join(dir, file!)], { encoding: 'utf8' }).trim().split('\n')[1]!);
    const { samples } = deriveMetrics(readLines(dir).map(lineToRecord));
    const ours = samples.filter((s) => s.metric === 'ttfa').map((s) => s.seconds);
    expect(py.count).toBe(ours.length);
    expect(py.count).toBe(3 * 5); // greeting + 4 replies per session
    expect(py.avg).toBeCloseTo(ours.reduce((a, b) => a + b, 0) / ours.length, 6);
  });

  it.skipIf(!python)('with TTS errors the snippet also pairs the failed attempt with the retry’s audio; we count it incomplete', () => {
    const dir = join(tempDir(), 'logs');
    expect(demo(['--dir', dir, '--sessions', '2', '--turns', '6', '--seed', '5', '--speed', '100', '--error-rate', '0.5']).code).toBe(0);
    const [file] = execFileSync('ls', [dir], { encoding: 'utf8' }).trim().split('\n');
    const py = JSON.parse(execFileSync('python3', [resolve('test/fixtures/spec_analysis.py'), join(dir, file!)], { encoding: 'utf8' }).trim().split('\n')[1]!);
    const lines = readLines(dir);
    const { samples, totals } = deriveMetrics(lines.map(lineToRecord));
    const errors = lines.filter((l) => l.event_type === 'TTS_ERROR').length;
    expect(errors).toBeGreaterThan(0);
    expect(totals.incomplete.ttfa).toBe(errors);
    expect(py.count).toBe(samples.filter((s) => s.metric === 'ttfa').length + errors);
  });
});
