import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyze } from './pipeline.js';

/**
 * Errors by stage and the count of each event type (the analyzer works a type's stage out once:
 * issue 14, round 8). Every error-like type, as written in a real file.
 */
describe('analyzer: errors by stage and event types', () => {
  it('counts each type and puts every error in its stage; a tool call failed only with success false', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vm-error-stages-'));
    const lines: string[] = [];
    let s = 0;
    const line = (type: string, data: Record<string, unknown> = {}) =>
      lines.push(JSON.stringify({ timestamp: `2026-01-05T09:00:${String(++s).padStart(2, '0')}.000000Z`, event_type: type, session_id: 'a', data }));
    line('SESSION_START');
    line('TTS_ERROR');
    line('TTS_ERROR');
    line('STT_ERROR');
    line('LLM_ERROR');
    line('RECORDING_ERROR');
    line('CUSTOM_ERROR');
    line('TOOL_CANCELLED');
    line('TOOL_REQUEST_END', { success: false });
    line('TOOL_REQUEST_END', { success: true });
    line('TOOL_REQUEST_END', {});
    line('SESSION_END');
    const file = join(dir, 'voicemode_events_2026-01-05.jsonl');
    writeFileSync(file, lines.join('\n') + '\n');
    const { analysis } = await analyze([file]);
    expect(analysis.errorsByStage).toEqual({ llm: 1, other: 1, recording: 1, stt: 1, tool: 2, tts: 2 });
    expect(analysis.errors).toBe(8);
    expect(analysis.eventTypes).toEqual({
      TOOL_REQUEST_END: 3,
      TTS_ERROR: 2,
      CUSTOM_ERROR: 1,
      LLM_ERROR: 1,
      RECORDING_ERROR: 1,
      SESSION_END: 1,
      SESSION_START: 1,
      STT_ERROR: 1,
      TOOL_CANCELLED: 1,
    });
    expect(Object.keys(analysis.eventTypes)[0]).toBe('TOOL_REQUEST_END'); // most frequent first, then by name
  });
});
