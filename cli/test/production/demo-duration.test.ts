import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN } from '../commands/run.js';

/**
 * voicemode's users read logs with a viewer that takes RECORDING_END's `data.duration` (seconds):
 * our files said `duration_s`, so every row showed duration=0ms. The package ships no viewer
 * (voice-mode 9.0.1), so a few lines of Python read our demo's files the way such a viewer does.
 */
const hasPython = spawnSync('python3', ['--version']).status === 0;

describe.skipIf(!hasPython && process.env.CI !== 'true')("our demo's files, read for voicemode's RECORDING_END duration", () => {
  it('every RECORDING_END has a duration in seconds, as voicemode writes it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vme-demo-dur-'));
    const r = spawnSync(process.execPath, [BIN, 'demo', '--dir', dir, '--sessions', '2', '--turns', '3', '--seed', '3', '--speed', '100'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl')).map((n) => join(dir, n));
    const py = `import json, sys
rows = []
for path in sys.argv[1:]:
    for line in open(path):
        e = json.loads(line)
        if e["event_type"] == "RECORDING_END":
            rows.append({"ms": int(e["data"].get("duration", 0) * 1000), "old_key": "duration_s" in e["data"]})
print(json.dumps(rows))`;
    const out = spawnSync('python3', ['-c', py, ...files], { encoding: 'utf8' });
    expect(out.status, out.stderr).toBe(0);
    const rows = JSON.parse(out.stdout) as { ms: number; old_key: boolean }[];
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const row of rows) {
      expect(row.ms).toBeGreaterThan(0);
      expect(row.old_key).toBe(false);
    }
  });
});
