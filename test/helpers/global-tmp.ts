import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest globalSetup: every temp folder of a run goes under one folder, removed at the end.
 * Tests make hundreds of folders (mkdtemp, CLI children, generated files): ~150 MB per run
 * were left in /tmp. TMPDIR is set before the test workers start, so os.tmpdir() in the
 * workers and in every child process they spawn points here; other runs on the machine
 * (their own TMPDIR root) are never touched. VME_KEEP_TMP=1 keeps it for a post-mortem.
 */
export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), 'vme-test-run-'));
  // others may pass through (some tests run the CLI as `nobody`); every mkdtemp inside is 0700
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => {
    if (process.env.VME_KEEP_TMP === '1') process.stderr.write(`temp files kept in ${root}\n`);
    else rmSync(root, { recursive: true, force: true });
  };
}
