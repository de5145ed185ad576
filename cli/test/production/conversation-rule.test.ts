import { describe, expect, it } from 'vitest';
import { Analyzer } from '../../src/analysis/analyzer.js';
import type { FileEvent } from '../../src/reader/parse-line.js';
import { SessionSorter } from '../../src/reader/session-sorter.js';

/**
 * The chaining rule of analysis/conversations.ts (docs/cli.md, "Conversations") on small
 * hand-made voicemode-style calls: each call is one session; the user's recording in one call
 * is answered by the next call's TTS when the two chain.
 */
const T0 = Date.UTC(2026, 10, 30, 10) * 1000;
let line = 0;
/** Events of one call: `at(seconds into the call, type, data)` in session `sid` (null: outside any). */
function eventsAt(sid: string | null, startS: number) {
  return (s: number, type: string, data: Record<string, unknown> = {}): FileEvent => ({
    timestampUs: T0 + Math.round((startS + s) * 1e6),
    eventType: type,
    sessionId: sid,
    data,
    file: 0,
    line: ++line,
  });
}

function call(sid: string, startS: number, opts: { pid?: number; since?: number; endS?: number; noEnd?: boolean } = {}): FileEvent[] {
  const at = eventsAt(sid, startS);
  const evs = [at(0, 'SESSION_START')];
  if (opts.since !== undefined) evs.push(at(0.001, 'TIME_SINCE_LAST_SESSION', { seconds: opts.since }));
  if (opts.pid !== undefined) evs.push(at(0.002, 'CONCH_ACQUIRE', { pid: opts.pid }));
  evs.push(at(0.01, 'TTS_START'), at(0.3, 'TTS_FIRST_AUDIO'), at(0.31, 'TTS_PLAYBACK_START'), at(1, 'TTS_PLAYBACK_END'));
  evs.push(at(1.1, 'RECORDING_START'), at(3, 'RECORDING_END'), at(3.1, 'STT_START'), at(3.4, 'STT_COMPLETE'));
  // voicemode after an STT failure: no SESSION_END; the call's last lines carry the session's id
  if (opts.noEnd) evs.push(at(3.5, 'CONCH_RELEASE', { pid: opts.pid }), at(3.6, 'TOOL_REQUEST_END', { success: false }));
  else evs.push(at(opts.endS ?? 3.5, 'SESSION_END'));
  return evs;
}

function analyse(...calls: FileEvent[][]) {
  const a = new Analyzer({ details: true });
  const sorter = new SessionSorter((evs) => a.addSession(evs));
  for (const ev of calls.flat().sort((x, y) => x.timestampUs - y.timestampUs)) {
    a.observe(ev);
    sorter.push(ev);
  }
  sorter.finish();
  const r = a.finish();
  return { conversations: r.conversations, replies: r.metrics.response_time.count, unanswered: r.totals.unanswered, response: [...r.store.column('response_time').values()] };
}

/** A speak-only call of process `pid` (voicemode: session_id null, bracketed by the conch). */
function speakOnly(startS: number, pid: number): FileEvent[] {
  const at = eventsAt(null, startS);
  return [
    at(0, 'CONCH_ACQUIRE', { pid }),
    at(0.01, 'TTS_START'),
    at(0.2, 'TTS_FIRST_AUDIO'),
    at(0.21, 'TTS_PLAYBACK_START'),
    at(1, 'TTS_PLAYBACK_END'),
    at(1.01, 'CONCH_RELEASE', { pid }),
  ];
}

describe('conversations: which sessions chain', () => {
  it("a speak-only call between two converse calls answers the first call's utterance", () => {
    // a's recording ends at 3 s; the speak-only call of the same process speaks at 6.01 s; b at 10.01 s
    const r = analyse(call('a', 0, { pid: 7 }), speakOnly(6, 7), call('b', 10, { pid: 7 }));
    expect(r).toMatchObject({ conversations: 1, replies: 1, unanswered: 1 });
    expect(r.response.map((v) => Number(v.toFixed(6)))).toEqual([3.01]); // not b's TTS (7.01 s)
    // another process's speak-only call answers nothing of this one
    const other = analyse(call('a', 0, { pid: 7 }), speakOnly(6, 8), call('b', 10, { pid: 7 }));
    expect(other.response.map((v) => Number(v.toFixed(6)))).toEqual([7.01]);
  });

  it('a call without SESSION_END (voicemode after an STT failure) still chains in order: every reply pairs with the next call', () => {
    const r = analyse(call('a', 0, { pid: 100 }), call('b', 10, { pid: 100, noEnd: true }), call('c', 20, { pid: 100 }), call('d', 30, { pid: 100 }));
    expect(r).toMatchObject({ conversations: 1, replies: 3, unanswered: 1 });
    expect(r.response).toEqual([7.01, 7.01, 7.01]); // never a later call's TTS (27.01 s)
  });

  it('the same conch pid chains; the reply is the next call’s TTS_START', () => {
    expect(analyse(call('a', 0, { pid: 7 }), call('b', 10, { pid: 7 }))).toEqual({ conversations: 1, replies: 1, unanswered: 1, response: [7.01] });
  });

  it('different pids never chain, even with TIME_SINCE_LAST_SESSION fitting', () => {
    expect(analyse(call('a', 0, { pid: 7 }), call('b', 10, { pid: 8, since: 6.5 }))).toMatchObject({ conversations: 2, replies: 0, unanswered: 2 });
  });

  it('without pids, TIME_SINCE_LAST_SESSION picks the session that ended that long before (within 1 s)', () => {
    // a ends at 3.5 s, c at 5.5 s; b starts at 10 s, 6.5 s after a ended
    const r = analyse(call('a', 0), call('c', 2, { endS: 3.5 }), call('b', 10, { since: 6.5 }));
    expect(r).toMatchObject({ conversations: 2, replies: 1, unanswered: 2 });
    expect(r.response).toEqual([7.01]); // a's recording (3 s) to b's TTS_START (10.01 s)
    // nothing ended 6.5 s +- 1 s before: a new conversation
    expect(analyse(call('a', 0), call('b', 20, { since: 6.5 }))).toMatchObject({ conversations: 2, replies: 0 });
  });

  it('sessions that overlap in time never chain', () => {
    expect(analyse(call('a', 0, { pid: 7, endS: 12 }), call('b', 10, { pid: 7 }))).toMatchObject({ conversations: 2, replies: 0, unanswered: 2 });
  });

  it('more than an hour after the last call the conversation has ended: its reply is unanswered', () => {
    expect(analyse(call('a', 0, { pid: 7 }), call('b', 3700, { pid: 7, since: 3696.5 }))).toMatchObject({ conversations: 2, replies: 0, unanswered: 2 });
    expect(analyse(call('a', 0, { pid: 7 }), call('b', 3500, { pid: 7, since: 3496.5 }))).toMatchObject({ conversations: 1, replies: 1, unanswered: 1 });
  });

  it('a session of our own files (turn / span_id) is a conversation by itself', () => {
    const ours = (evs: FileEvent[]) => evs.map((e) => ({ ...e, spanId: 'sp' + e.eventType.slice(0, 3) }));
    expect(analyse(ours(call('a', 0, { pid: 7 })), ours(call('b', 10, { pid: 7 })))).toMatchObject({ conversations: 2, replies: 0, unanswered: 2 });
  });
});
