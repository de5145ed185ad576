import { describe, expect, it } from 'vitest';
import { TurnAssigner } from '../../src/analysis/turns.js';

/** The turns a session saw (analysis/turns.ts): the set is only written when the turn changes. */
describe('TurnAssigner', () => {
  it('collects every turn seen, the first one (turn 0) included, whether carried by the line or by the rule', () => {
    const ta = new TurnAssigner();
    expect(ta.assign('SESSION_START', undefined)).toBeUndefined();
    expect(ta.assign('TTS_START', undefined)).toBe(0); // before the user first speaks
    expect(ta.assign('RECORDING_START', undefined)).toBe(1);
    expect(ta.assign('STT_COMPLETE', 5)).toBe(5); // carried by the line
    expect(ta.assign('TTS_START', undefined)).toBe(1);
    expect(ta.assign('TTS_START', 5)).toBe(5);
    expect(ta.assign('RECORDING_START', undefined)).toBe(2);
    expect(ta.assign('TTS_START', 0)).toBe(0);
    expect(ta.assign('SESSION_END', undefined)).toBeUndefined();
    expect([...ta.seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 5]);
  });

  it('counts a session that never left turn 0', () => {
    const ta = new TurnAssigner();
    ta.assign('SESSION_START', undefined);
    ta.assign('TTS_START', undefined);
    ta.assign('TTS_PLAYBACK_END', undefined);
    expect([...ta.seen]).toEqual([0]);
  });
});
