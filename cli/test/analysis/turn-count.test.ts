import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/harness.js';
import { analyze } from './pipeline.js';

/**
 * Turns are counted per session with one TurnAssigner, dropped at SESSION_END. A line of the
 * session written before its SESSION_END but stamped after it comes after the end in time
 * order, in the same batch: it starts the session's count afresh (as a session seen again
 * does), and must not land on the dropped assigner, where it would never be counted.
 */
describe('turn count', () => {
  it('counts a turn stamped after its session ended (same batch) once', async () => {
    const dir = tempDir('vme-turns-');
    const path = join(dir, 'voicemode_events_2026-01-05.jsonl');
    const line = (s: number, type: string, extra = ''): string =>
      `{"timestamp":"2026-01-05T09:00:0${s}.000000Z","event_type":"${type}","session_id":"conv_1"${extra},"data":{}}`;
    writeFileSync(
      path,
      [
        line(0, 'SESSION_START'),
        line(1, 'RECORDING_START'), // turn 1 by the rule
        line(4, 'TTS_START', ',"turn":7'), // written before the end, stamped after it
        line(2, 'SESSION_END'),
      ].join('\n') + '\n',
    );
    const { analysis } = await analyze([path]);
    expect(analysis.events).toBe(4);
    // turn 1 before the end; turn 7 after it, on a fresh assigner
    expect(analysis.turns).toBe(2);
  });
});
