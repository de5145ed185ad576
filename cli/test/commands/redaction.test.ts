import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startOtlpReceiver, type OtlpReceiver } from '../../../test/helpers/otlp-receiver.js';
import { cli as cliAsync } from './run.js';
import { redactText } from '../../../src/events/sanitize.js';
import { tempDir } from '../../../test/helpers/harness.js';

const bin = resolve('cli/dist/main.js');
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

describe('issue #16, item 3: replay sends and query prints only redacted data', () => {
  let receiver: OtlpReceiver | undefined;
  afterEach(async () => {
    await receiver?.close();
    receiver = undefined;
  });

  /** A log with a transcript, a secret key in data, one spelled with an escape, and top-level ones. */
  function adversarialLog(): string {
    const file = join(tempDir(), 'voicemode_events_2025-06-23.jsonl');
    writeFileSync(
      file,
      [
        '{"timestamp": "2025-06-23T15:30:45+00:00", "event_type": "SESSION_START", "session_id": "s1", "data": {}}',
        `{"timestamp": "2025-06-23T15:30:46+00:00", "event_type": "STT_COMPLETE", "session_id": "s1", "data": {"text": "${said}", "provider": "whisper"}}`,
        '{"timestamp": "2025-06-23T15:30:47+00:00", "event_type": "TTS_START", "session_id": "s1", "data": {"message": "ok", "api\\u005fkey": "sk-escaped-111", "provider": "openai"}}',
        '{"timestamp": "2025-06-23T15:30:48+00:00", "event_type": "TTS_FIRST_AUDIO", "session_id": "s1", "api_key": "sk-toplevel-222", "x\\u002dauth\\u002dtoken": "tok-333", "data": {}}',
        '{"timestamp": "2025-06-23T15:30:49+00:00", "event_type": "SESSION_END", "session_id": "s1", "data": {"password": "hunter2"}}',
      ].join('\n') + '\n',
    );
    return file;
  }
  const SECRETS = ['sk-escaped-111', 'sk-toplevel-222', 'tok-333', 'hunter2'];

  it('query: top-level secret keys and escaped key spellings are hidden; the line stays valid JSON', () => {
    const out = cli(['query', adversarialLog()]);
    for (const s of SECRETS) expect(out).not.toContain(s);
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(5);
    expect(lines[2]!.data).toEqual({ message: 'ok', api_key: '[REDACTED]', provider: 'openai' });
    expect(lines[3]).toMatchObject({ event_type: 'TTS_FIRST_AUDIO', session_id: 's1', api_key: '[REDACTED]', 'x-auth-token': '[REDACTED]', data: {} });
    expect(out).toContain(said); // mode none: what was said is shown
  });

  it('query: a token disguised with escapes is hidden; a Python line with escaped non-ASCII and nothing secret is printed byte for byte', () => {
    const file = join(tempDir(), 'voicemode_events_2025-06-23.jsonl');
    const python = '{"timestamp": "2025-06-23T15:30:45+00:00", "event_type": "STT_COMPLETE", "session_id": "s1", "data": {"text": "caf\\u00e9 cr\\u00e8me \\u001b[31m"}}';
    const disguised = '{"timestamp": "2025-06-23T15:30:46+00:00", "event_type": "X", "session_id": "s1", "data": {"note": "key sk\\u002dproj-AbCdEfGhIjKlMnOpQrSt1234"}}';
    writeFileSync(file, `${python}\n${disguised}\n`);
    const out = cli(['query', file]).split('\n');
    expect(out[0]).toBe(python);
    expect(out[1]).not.toContain('AbCdEfGhIjKlMnOpQrSt1234');
    expect(JSON.parse(out[1]!).data).toEqual({ note: 'key [REDACTED]' });
  });

  it.each(['none', 'text', 'all'])('replay with VOICEMODE_EVENT_LOG_REDACT=%s sends no secret (and no transcript unless none)', async (mode) => {
    receiver = await startOtlpReceiver();
    // async: the receiver runs in this process
    const r = await cliAsync(['replay', adversarialLog(), '--endpoint', receiver.url], { VOICEMODE_EVENT_LOG_REDACT: mode });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/Replayed 1 session\(s\)/);
    const sent = JSON.stringify(receiver.traces());
    expect(sent).toContain('STT_COMPLETE');
    for (const s of SECRETS) expect(sent, s).not.toContain(s);
    if (mode === 'none') expect(sent).toContain(said);
    else {
      expect(sent).not.toContain(said);
      expect(sent).toContain(redactText(said));
    }
    expect(sent).toContain('whisper'); // labels stay
  });
});
