import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { redactText } from '../../src/events/sanitize.js';
import { tempDir } from '../helpers/harness.js';

const bin = resolve('dist/cli/main.js');
const said = 'please transfer all my savings';

/** An old log (Python variant) holding a transcript and an API key. */
function logFile(): string {
  const dir = tempDir();
  const file = join(dir, 'voicemode_events_2025-06-23.jsonl');
  writeFileSync(
    file,
    [
      '{"timestamp": "2025-06-23T15:30:45.000001+00:00", "event_type": "SESSION_START", "session_id": "s1", "data": {}}',
      `{"timestamp": "2025-06-23T15:30:46+00:00", "event_type": "STT_COMPLETE", "session_id": "s1", "data": {"text": "${said}", "provider": "whisper"}}`,
      '{"timestamp": "2025-06-23T15:30:47.5+00:00", "event_type": "TOOL_REQUEST_START", "session_id": "s1", "data": {"tool": "bank", "api_key": "sk-live-999"}}',
    ].join('\n') + '\n',
  );
  return file;
}

function cli(args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', env: { ...process.env, VOICEMODE_EVENT_LOG_REDACT: '', ...env } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

describe('the CLI redacts what it prints as the library does', () => {
  it.each([
    ['query', (f: string) => ['query', f]],
    ['timeline', (f: string) => ['timeline', '--session', 's1', f]],
    ['timeline --json', (f: string) => ['timeline', '--session', 's1', '--json', f]],
  ])('%s: secret keys always hidden; transcripts shown by default', (_name, args) => {
    const out = cli(args(logFile()));
    expect(out).not.toContain('sk-live-999');
    expect(out).toContain('[REDACTED]');
    expect(out).toContain(said);
  });

  it.each([
    ['query', (f: string) => ['query', f]],
    ['timeline', (f: string) => ['timeline', '--session', 's1', f]],
  ])('%s with VOICEMODE_EVENT_LOG_REDACT=text: transcripts replaced by length and hash', (_name, args) => {
    const out = cli(args(logFile()), { VOICEMODE_EVENT_LOG_REDACT: 'text' });
    expect(out).not.toContain(said);
    expect(out).not.toContain('sk-live-999');
    expect(out).toContain(redactText(said).slice(0, 30));
  });

  it('query keeps untouched lines byte for byte when nothing needs redacting', () => {
    const file = logFile();
    const out = cli(['query', '--type', 'SESSION_START', file]);
    expect(out).toBe('{"timestamp": "2025-06-23T15:30:45.000001+00:00", "event_type": "SESSION_START", "session_id": "s1", "data": {}}\n');
  });
});
