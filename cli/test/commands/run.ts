import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../..');
/** The CLI under test; VME_TEST_BIN runs the suite against another build (e.g. the code before a fix). */
export const BIN = process.env.VME_TEST_BIN ?? join(ROOT, 'cli/dist/main.js');
export const FIX = join(ROOT, 'test/fixtures');

if (!existsSync(BIN)) throw new Error('cli/dist/main.js is missing: run `npm run build` first');

export interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI as a user would (no TTY), with NO_COLOR unset unless given. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return run(process.execPath, [BIN, ...args], env);
}

/** Runs a command to its end (no TTY), collecting its output. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

export async function json<T = Record<string, unknown>>(args: string[]): Promise<T> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  if (lines.length !== 1) throw new Error(`expected exactly one JSON line, got ${lines.length}`);
  return JSON.parse(lines[0]!) as T;
}

/** Runs the built CLI with a time limit: a hang is killed and reported (`timedOut`), not waited on. */
export function cliWithin(ms: number, args: string[], env: NodeJS.ProcessEnv = {}, as: { uid?: number; gid?: number } = {}): Promise<Result & { timedOut: boolean }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], ...as });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
