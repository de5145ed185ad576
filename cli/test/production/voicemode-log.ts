import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Logs written by voicemode's own event logger (the `voice-mode` package from PyPI, pinned in
 * .ci/run and installed outside the repository), driven by test/fixtures/voicemode_driver.py.
 */
export const VOICE_MODE_VERSION = '9.0.1';
const target = process.env.VOICEMODE_PY_TARGET ?? join(homedir(), '.cache/voicemode-events', `voice-mode-${VOICE_MODE_VERSION}`);
export const EVENT_LOGGER = join(target, 'voice_mode/utils/event_logger.py');
const DRIVER = join(import.meta.dirname, '../../../test/fixtures/voicemode_driver.py');

/** Why the tests cannot run here, or undefined. In CI a missing package fails instead (see the tests). */
export function missingReason(): string | undefined {
  if (!existsSync(EVENT_LOGGER)) {
    return `voicemode's event_logger.py not found at ${EVENT_LOGGER}: pip install --no-deps --target ${target} voice-mode==${VOICE_MODE_VERSION} (as .ci/run does)`;
  }
  return undefined;
}

export interface DriverResult {
  pid: number;
  role: 'A' | 'B' | 'C';
  end_session: { session_id: string; ttfa: number; recording_duration: number; stt_processing?: number; response_time?: number }[];
  ttfa_ms: number[];
  request_time_ms: number[];
}

export interface WrittenLog {
  dir: string;
  file: string;
  results: DriverResult[];
}

/**
 * Three assistant processes at once (roles A, B, C of the driver), then a torn last line.
 * voicemode names a session `conv_<ms>`: two processes that start one in the same millisecond
 * share its id (seen once in a full test run: 8 sessions instead of 9). The hand-worked
 * expectations assume distinct ids, so such a run is written again (at most 3 times).
 */
export async function writeVoicemodeLog(): Promise<WrittenLog> {
  for (let attempt = 1; ; attempt++) {
    const log = await writeOnce(join(mkdtempSync(join(tmpdir(), 'vme-prod-')), 'events'));
    const starts = readFileSync(log.file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"SESSION_START"'))
      .map((l) => (JSON.parse(l) as { session_id: string }).session_id);
    if (new Set(starts).size === starts.length || attempt === 3) return log;
  }
}

async function writeOnce(dir: string): Promise<WrittenLog> {
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'vme-driver-'));
  const run = promisify(execFile);
  await Promise.all(
    (['A', 'B', 'C'] as const).map((role) => run('python3', [DRIVER, EVENT_LOGGER, dir, join(work, 'conch.lock'), role, join(work, `${role}.json`)])),
  );
  const files = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  if (files.length !== 1) throw new Error(`expected one daily file, got ${files.join(', ')}`);
  const file = join(dir, files[0]!);
  // a crash mid-write: the last line is cut off
  await appendFile(file, '{"timestamp": "2026-11-30T10:00:00.000001+00:00", "event_type": "TTS_ST');
  const results = (['A', 'B', 'C'] as const).map((r) => JSON.parse(readFileSync(join(work, `${r}.json`), 'utf8')) as DriverResult);
  return { dir, file, results };
}
