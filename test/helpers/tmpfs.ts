import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './harness.js';

/**
 * A real small filesystem for fault tests (tests run as root on these machines and in CI).
 * Returns undefined when mounting is not allowed; callers then skip with a visible reason
 * (in CI, where it must work, they fail instead).
 */
export interface Tmpfs {
  path: string;
  remount(options: string): void;
  unmount(): void;
}

export function mountTmpfs(sizeBytes: number): Tmpfs | undefined {
  const path = join(tempDir('vme-tmpfs-'), 'mnt');
  mkdirSync(path);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, 'tmpfs', path], { stdio: 'pipe' });
  } catch {
    return undefined;
  }
  return {
    path,
    remount: (opts) => execFileSync('mount', ['-o', `remount,${opts}`, path], { stdio: 'pipe' }),
    unmount: () => execFileSync('umount', ['-l', path], { stdio: 'pipe' }),
  };
}

/** Skip (with the reason printed) only outside CI; in CI a missing capability is a failure. */
export function requireOrSkip(ok: boolean, what: string): boolean {
  if (ok) return true;
  if (process.env.CI) throw new Error(`${what} is required in CI but not available`);
  console.warn(`SKIPPED: ${what} is not available on this machine`);
  return false;
}
