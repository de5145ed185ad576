import type { MetricSample } from 'voicemode-events/metrics';
import { IdSet } from './id-set.js';
import type { FileEvent } from '../reader/parse-line.js';

/**
 * Groups sessions into conversations, between the session sorter and the analysis.
 *
 * voicemode (the production writer, `voice-mode` on PyPI) logs one session per `converse`
 * call: the assistant speaks, the user answers, the session ends, and the answer is replied
 * to by the *next* call. A conversation is the run of sessions (and null-session calls) that
 * one assistant process had. The rule (docs/cli.md, "Conversations"):
 * - a session whose lines carry our `turn` / `span_id` keys is a conversation by itself;
 * - otherwise a session chains to the latest session of the process it came from: the one
 *   with the same conch pid (`CONCH_WAIT_START` / `CONCH_ACQUIRE` `{pid}`), or, when it has no
 *   pid, the one that ended `TIME_SINCE_LAST_SESSION.seconds` before it started (nearest, within
 *   CHAIN_TOLERANCE_US); a session with neither starts a conversation;
 * - never chained: sessions that overlap in time, or whose pids differ, or a session that
 *   starts more than CHAIN_WINDOW_US (1 h) after the conversation's last session ended: the
 *   conversation has ended then (its awaited reply is unanswered), which keeps memory bounded
 *   by the conversations of the last hour of input, not by all of them.
 * Every event of a chained session gets `conversation` (the first session's id): the deriver
 * keeps the reply state per conversation, so replies pair across sessions.
 *
 * Null-session events (speak-only calls, and the CONCH_RELEASE / TOOL_REQUEST_END that follow
 * a session) carry no session. The sorter releases them ahead of the session that follows them,
 * so they reach the deriver in time order: a speak-only call's events (between its
 * CONCH_ACQUIRE and CONCH_RELEASE) join its process's conversation, and its TTS answers the
 * utterance before it. For assistant time, a TOOL_REQUEST_END / TOOL_REQUEST_START is
 * attributed by the CONCH event of the same call next to it (voicemode logs them back to back).
 *
 * `assistant_think` (TOOL_REQUEST_END to the next TOOL_REQUEST_START of the conversation) is
 * paired at `finish()`, from the tool times kept per conversation (16 bytes per tool call).
 */
export const CHAIN_TOLERANCE_US = 1_000_000;
export const CHAIN_WINDOW_US = 3_600_000_000;
/** A CONCH event and its call's TOOL_REQUEST_* are logged back to back by one process. */
const SAME_CALL_US = 50_000;
/** Tool events held for a process before its first session (a speak-only-only process keeps at most these). */
const MAX_HELD_TOOLS = 64;

interface Tail {
  key: string;
  pid: number | undefined;
  endUs: number;
}

interface ToolTimes {
  us: number[];
  /** 1: TOOL_REQUEST_START, 0: TOOL_REQUEST_END; parallel to `us`. */
  kind: number[];
  session: (string | null)[];
}

function pidOf(ev: FileEvent): number | undefined {
  const pid = ev.data.pid;
  return typeof pid === 'number' && ev.eventType.startsWith('CONCH_') ? pid : undefined;
}

export class ConversationLinker {
  /** The latest session of each conversation, by key. */
  private readonly tails = new Map<string, Tail>();
  private readonly byPid = new Map<number, string>();
  private readonly tools = new Map<string, ToolTimes>();
  private readonly heldTools = new Map<number, FileEvent[]>();
  /** Our sessions seen (each its own conversation): flagged in a compact exact set (id-set.ts), the analysis's set of every session when it passes it. */
  private readonly ours: IdSet;
  private count = 0;

  constructor(
    private readonly forward: (events: FileEvent[]) => void,
    private readonly onSample: (sample: MetricSample) => void,
    /** A conversation can no longer continue (its reply state can go). */
    private readonly onEnd: (key: string) => void = () => {},
    sessions: IdSet = new IdSet(),
  ) {
    this.ours = sessions;
  }

  /** Conversations seen so far. */
  get conversations(): number {
    return this.count;
  }

  /** One released batch: a session's events in time order, or a run of null-session events. */
  add(events: FileEvent[]): void {
    const first = events[0];
    if (first === undefined) return;
    if (first.sessionId === null) this.attributeNull(events);
    else this.linkSession(first.sessionId, events);
    this.forward(events);
  }

  private linkSession(sid: string, events: FileEvent[]): void {
    if (events.some((e) => e.spanId !== undefined || e.turn !== undefined)) {
      if (this.ours.mark(sid)) this.count++;
      return;
    }
    const startUs = events[0]!.timestampUs;
    const endUs = events[events.length - 1]!.timestampUs;
    this.prune(startUs);
    let pid: number | undefined;
    let sinceS: number | undefined;
    for (const e of events) {
      pid ??= pidOf(e);
      if (e.eventType === 'TIME_SINCE_LAST_SESSION' && typeof e.data.seconds === 'number' && Number.isFinite(e.data.seconds)) sinceS = e.data.seconds;
    }
    const key = this.predecessor(startUs, pid, sinceS) ?? this.newConversation(sid);
    const tail = this.tails.get(key);
    if (tail === undefined || endUs >= tail.endUs) {
      // delete first: the Map keeps insertion order, so the first tail is the oldest (prune)
      this.tails.delete(key);
      this.tails.set(key, { key, pid: pid ?? tail?.pid, endUs });
    }
    if (pid !== undefined) {
      this.byPid.set(pid, key);
      const held = this.heldTools.get(pid);
      if (held !== undefined) {
        this.heldTools.delete(pid);
        for (const e of held) this.tool(key, e);
      }
    }
    for (const e of events) {
      e.conversation = key;
      if (e.eventType === 'TOOL_REQUEST_START' || e.eventType === 'TOOL_REQUEST_END') this.tool(key, e);
    }
  }

  private newConversation(sid: string): string {
    this.count++;
    return sid;
  }

  /** The conversation a session starting at `startUs` continues, if any (see the rule above). */
  private predecessor(startUs: number, pid: number | undefined, sinceS: number | undefined): string | undefined {
    if (pid !== undefined) {
      const key = this.byPid.get(pid);
      const tail = key === undefined ? undefined : this.tails.get(key);
      if (tail !== undefined && tail.endUs <= startUs) return key;
      if (tail !== undefined) return undefined; // overlaps the process's previous session
    }
    if (sinceS === undefined) return undefined;
    const expectedEnd = startUs - sinceS * 1e6;
    let best: Tail | undefined;
    for (const t of this.tails.values()) {
      if (t.endUs > startUs) continue; // overlapping: never chained
      if (pid !== undefined && t.pid !== undefined && t.pid !== pid) continue;
      const d = Math.abs(t.endUs - expectedEnd);
      if (d <= CHAIN_TOLERANCE_US && (best === undefined || d < Math.abs(best.endUs - expectedEnd))) best = t;
    }
    return best?.key;
  }

  /** Ends the conversations whose last session ended more than CHAIN_WINDOW_US before `us`. */
  private prune(us: number): void {
    for (const t of this.tails.values()) {
      if (t.endUs >= us - CHAIN_WINDOW_US) break;
      this.tails.delete(t.key);
      if (t.pid !== undefined && this.byPid.get(t.pid) === t.key) this.byPid.delete(t.pid);
      this.pairTools(t.key);
      this.onEnd(t.key);
    }
  }

  /**
   * Null-session events: a speak-only call's events (between its CONCH_ACQUIRE and CONCH_RELEASE
   * of one pid: the conch lets one call speak at a time) join that process's conversation, so its
   * TTS can answer the utterance before it; TOOL_REQUEST_* by the CONCH event of its call next to
   * it (held until the process's first session names its conversation).
   */
  private attributeNull(events: FileEvent[]): void {
    let held: string | undefined; // the conversation of the call holding the conch
    for (const e of events) {
      const pid = pidOf(e);
      if (e.eventType === 'CONCH_ACQUIRE' && pid !== undefined) held = this.byPid.get(pid);
      if (held !== undefined) e.conversation = held;
      if (e.eventType === 'CONCH_RELEASE') held = undefined;
    }
    for (let i = 0; i < events.length; i++) {
      const e = events[i]!;
      if (e.eventType !== 'TOOL_REQUEST_START' && e.eventType !== 'TOOL_REQUEST_END') continue;
      // START: the call's first CONCH event follows; END: its CONCH_RELEASE precedes
      const step = e.eventType === 'TOOL_REQUEST_START' ? 1 : -1;
      for (let j = i + step; j >= 0 && j < events.length; j += step) {
        const c = events[j]!;
        if (Math.abs(c.timestampUs - e.timestampUs) > SAME_CALL_US) break;
        const pid = pidOf(c);
        if (pid === undefined) continue;
        if (step === -1 && c.eventType !== 'CONCH_RELEASE') continue;
        const key = this.byPid.get(pid);
        if (key !== undefined) this.tool(key, e);
        else this.holdTool(pid, e); // the call's session (released after this) names the conversation
        break;
      }
    }
  }

  /** Tool events of a process that has no conversation yet (at most MAX_HELD_TOOLS per pid). */
  private holdTool(pid: number, e: FileEvent): void {
    let held = this.heldTools.get(pid);
    if (held === undefined) this.heldTools.set(pid, (held = []));
    if (held.length < MAX_HELD_TOOLS) held.push(e);
  }

  private tool(key: string, e: FileEvent): void {
    let t = this.tools.get(key);
    if (t === undefined) this.tools.set(key, (t = { us: [], kind: [], session: [] }));
    t.us.push(e.timestampUs);
    t.kind.push(e.eventType === 'TOOL_REQUEST_START' ? 1 : 0);
    t.session.push(e.sessionId);
  }

  /** Pairs what is left (the input ended). */
  finish(): void {
    for (const key of [...this.tools.keys()]) this.pairTools(key);
  }

  /** Pairs each TOOL_REQUEST_END with the next TOOL_REQUEST_START of the conversation; forgets its tool times. */
  private pairTools(key: string): void {
    const t = this.tools.get(key);
    if (t !== undefined) {
      const order = t.us.map((_, i) => i).sort((a, b) => t.us[a]! - t.us[b]! || t.kind[a]! - t.kind[b]!);
      for (let n = 0; n + 1 < order.length; n++) {
        const a = order[n]!;
        const b = order[n + 1]!;
        if (t.kind[a] !== 0 || t.kind[b] !== 1) continue;
        this.onSample({
          metric: 'assistant_think',
          seconds: (t.us[b]! - t.us[a]!) / 1e6,
          sessionId: t.session[b]!,
          turn: 0,
          startUs: t.us[a]!,
          endUs: t.us[b]!,
          labels: {},
        });
      }
    }
    this.tools.delete(key);
  }
}
