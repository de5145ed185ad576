import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, type Span } from '@opentelemetry/api';
import { assertEventType, type EventType } from '../events/catalog.js';
import { OPERATION_KINDS, type OperationKind } from '../events/operation-kinds.js';
import { describeValue } from '../events/safe-json.js';
import {
  ATTR_GEN_AI_CONVERSATION,
  ATTR_GEN_AI_END_REASON,
  ATTR_SESSION_ID,
  ATTR_TURN_INTERRUPTED,
  ATTR_TURN_NUMBER,
  SPAN_SESSION,
  SPAN_TURN,
} from '../events/span-attributes.js';
import {
  MetricsDeriver,
  StatsAccumulator,
  type MetricCounts,
  type MetricName,
  type MetricStats,
  type SegmentName,
} from '../metrics/derive.js';
import { DeferredDeriver } from '../metrics/deferred-derivation.js';
import { liveSamples } from '../metrics/sample-bus.js';
import { usToHrTime } from '../time/format.js';
import { emitEvent, endSpan, innermostNode, internalError, newNode, startSpan, parentContext, readData, runInScope, scopeStorage, type Core, type SpanNode } from './core.js';
import { markFailed } from './failure.js';
import { newShared, removeItem, type Interruptible, type OperationPlace, type TurnState } from './operation-base.js';
import { installOperationMethods, type HandleOf, type InputOf, type OperationMethods } from './kinds.js';
import { runOperation } from './run-operation.js';

export interface SessionOptions {
  /** Defaults to `conv_<epoch ms>_<6 hex>`: the spec's form, unique across processes. */
  id?: string;
  /** Extra data for SESSION_START. */
  data?: Record<string, unknown>;
}

export interface SessionMetrics {
  sessionId: string;
  /** Turns started so far (turn 0, the assistant's opening, counts when it happened). */
  turns: number;
  /** Per metric, in seconds: count, mean, min, max, total. Absent when no pair completed. */
  metrics: Partial<Record<MetricName, MetricStats>>;
  /** voice_to_voice broken down (endpointing, stt, llm, tts_wait, tts_first_audio), same stats. */
  breakdown: Partial<Record<SegmentName, MetricStats>>;
  /** Starts with no end (errors, missing events), per metric. */
  incomplete: MetricCounts;
}

export interface TurnMetrics {
  sessionId: string;
  turn: number;
  metrics: Partial<Record<MetricName, MetricStats>>;
  breakdown: Partial<Record<SegmentName, MetricStats>>;
}

/**
 * The wrapped operations (one method per kind: `tts`, `record`, `stt`, ...), on a session
 * (turns are then managed for you) or on an explicit turn. See `runOperation`.
 */
export interface OperationHost extends OperationMethods {
  /** Logs an event on the innermost span of this session/turn that is running now. */
  logEvent(eventType: EventType, data?: Record<string, unknown>): void;
}

export interface Turn extends OperationHost {
  readonly number: number;
  readonly span: Span;
  readonly ended: boolean;
  metrics(): TurnMetrics;
  end(): TurnMetrics;
}

export interface Session extends OperationHost {
  readonly id: string;
  readonly span: Span;
  readonly ended: boolean;
  /** Runs fn as the next explicit turn (its number is returned by `turn.number`). */
  turn<R>(fn: (turn: Turn) => R | Promise<R>): Promise<R>;
  /** Starts the next explicit turn; end it with `turn.end()`. */
  startTurn(): Turn;
  metrics(): SessionMetrics;
  /** Ends the session (SESSION_END with `reason`, default "completed"); later calls return the same metrics. */
  end(data?: { reason?: string; [key: string]: unknown }): SessionMetrics;
  /**
   * A barge-in: interrupts the TTS operation of this session playing now (else the latest one
   * running), as `op.interrupt(data)` does. Returns false when no TTS operation is running.
   */
  bargeIn(data?: Record<string, unknown>): boolean;
}

/** Shared by sessions and turns: the operations (methods from the kind table), routed through `placeFor`. */
abstract class Host {
  protected abstract readonly core: Core;
  /** This session's or turn's own span; logEvent lands here when no operation of ours is running. */
  abstract readonly node: SpanNode;
  protected abstract placeFor(kind: OperationKind): OperationPlace;

  get span(): Span {
    return this.node.span;
  }
  get ended(): boolean {
    return this.node.ended;
  }

  /** @internal runs an operation of any kind placed by this host (the per-kind methods call it). */
  static runKind<K extends OperationKind>(host: Host, kind: K, input: InputOf<K>, fn: (op: HandleOf<K>) => unknown): unknown {
    return runOperation(host.core, kind, host.placeFor(kind), input, fn);
  }

  logEvent(eventType: EventType, data?: Record<string, unknown>): void {
    assertEventType(eventType);
    emitEvent(this.core, innermostNode(this.node) ?? this.node, eventType, data);
  }
}
// The per-kind methods (tts, record, stt, ...) come from the kind table.
interface Host extends OperationMethods {}
installOperationMethods(Host.prototype, Host.runKind);

/** Every session not yet ended, across all VoiceEvents instances: closed at shutdown. */
const openSessions = new Set<SessionImpl>();

/** Ends every open session with SESSION_END `{reason}`; returns how many were open. */
export function endOpenSessions(reason: string): number {
  const all = [...openSessions];
  for (const s of all) s.end({ reason });
  return all.length;
}

export class SessionImpl extends Host implements Session {
  readonly id: string;
  readonly node: SpanNode;
  readonly deriver: MetricsDeriver;
  /** The session's events go to `deriver` through this queue, off the caller's path: read results after `live.drain()`. */
  readonly live: DeferredDeriver;
  /** What this session's operations share: the TTS running now (barge-in), the latest recording's length. */
  readonly shared = newShared();
  private readonly stats = new StatsAccumulator();
  /**
   * Turns not yet ended, oldest first (one or two: a turn still playing when the next began).
   * An array: a Map that goes from one entry to none and back on every turn rebuilds its table each time.
   */
  private readonly openTurns: TurnImpl[] = [];
  private lastTurnNumber = -1;
  private autoTurn: TurnImpl | undefined;
  private finalMetrics: SessionMetrics | undefined;

  constructor(
    protected readonly core: Core,
    options: SessionOptions = {},
  ) {
    super();
    options = readData(options);
    this.id = validSessionId(options.id, core);
    this.deriver = new MetricsDeriver((sample) => {
      this.stats.add(sample);
      const turns = this.openTurns;
      for (let i = 0; i < turns.length; i++) if (turns[i]!.number === sample.turn) turns[i]!.addSample(sample);
      liveSamples.emit(sample);
    });
    this.live = new DeferredDeriver(this.deriver, (err) => internalError(core, err));
    const span = startSpan(
      core,
      SPAN_SESSION,
      {
        root: true,
        attributes: { [ATTR_SESSION_ID]: this.id, [ATTR_GEN_AI_CONVERSATION]: this.id },
        startTime: usToHrTime(core.clock.nowUs()),
      },
      ROOT_CONTEXT,
    );
    this.node = newNode(span, this.id, undefined, this.live);
    openSessions.add(this);
    emitEvent(core, this.node, 'SESSION_START', options.data);
  }

  turn<R>(fn: (turn: Turn) => R | Promise<R>): Promise<R> {
    const turn = this.startTurn() as TurnImpl;
    return turn.run(fn);
  }

  startTurn(): Turn {
    this.closeAutoTurn();
    return this.openTurn(Math.max(1, this.lastTurnNumber + 1));
  }

  /**
   * The turn an operation joins. Inside a running turn: that turn. Otherwise turns are
   * managed by the turn rule: what the assistant says before the user first speaks is turn
   * 0; a recording opens the next turn unless the current one has no recording yet; STT
   * and TTS join the current turn.
   */
  protected placeFor(kind: OperationKind): OperationPlace {
    const scope = scopeStorage.getStore();
    const inTurn = scope?.turn;
    let turn: TurnImpl;
    if (inTurn instanceof TurnImpl && inTurn.session === this && !inTurn.ended) turn = inTurn;
    else turn = this.autoTurnFor(kind);
    return turn.placeFor(kind);
  }

  private autoTurnFor(kind: OperationKind): TurnImpl {
    const current = this.autoTurn && !this.autoTurn.ended ? this.autoTurn : undefined;
    const opens = OPERATION_KINDS[kind].turn === 'opens';
    if (opens) {
      if (current && current.number >= 1 && !current.hasOpener) return current;
    } else if (current) return current;
    this.closeAutoTurn();
    const number = !opens && this.lastTurnNumber < 0 ? 0 : Math.max(1, this.lastTurnNumber + 1);
    this.autoTurn = this.openTurn(number);
    return this.autoTurn;
  }

  private closeAutoTurn(): void {
    if (this.autoTurn && !this.autoTurn.ended) this.autoTurn.close(false); // (end() would also compute metrics nobody reads)
    this.autoTurn = undefined;
  }

  bargeIn(data?: Record<string, unknown>): boolean {
    let target: Interruptible | undefined;
    let latest: Interruptible | undefined;
    for (const op of this.shared.tts) {
      if (op.interrupted) continue;
      latest = op;
      if (op.playing) target = op;
    }
    target ??= latest;
    if (target === undefined) return false;
    target.interrupt(data);
    return true;
  }

  private openTurn(number: number): TurnImpl {
    this.lastTurnNumber = number;
    const turn = new TurnImpl(this.core, this, number);
    this.openTurns.push(turn);
    return turn;
  }

  /** @internal called by a turn when it ends */
  turnEnded(turn: TurnImpl): void {
    removeItem(this.openTurns, turn);
  }

  metrics(): SessionMetrics {
    if (this.finalMetrics) return this.finalMetrics;
    this.live.drain();
    return {
      sessionId: this.id,
      turns: this.lastTurnNumber + 1,
      metrics: this.stats.snapshot(),
      breakdown: this.stats.breakdown(),
      incomplete: { ...this.deriver.totals.incomplete },
    };
  }

  end(data: { reason?: string; [key: string]: unknown } = {}): SessionMetrics {
    if (this.finalMetrics) return this.finalMetrics;
    for (const turn of [...this.openTurns]) turn.close(true);
    emitEvent(this.core, this.node, 'SESSION_END', { reason: 'completed', ...readData(data), turns: this.lastTurnNumber + 1 });
    endSpan(this.core, this.node);
    openSessions.delete(this);
    this.finalMetrics = this.metrics();
    return this.finalMetrics;
  }

  /** Runs fn as this session's body; the session ends when it settles (status ERROR on a throw). */
  async run<R>(fn: (session: Session) => R | Promise<R>): Promise<R> {
    try {
      const result = await runInScope({ session: this }, this.span, () => fn(this));
      this.end();
      return result;
    } catch (err) {
      this.end({ reason: 'error', error_type: markFailed(this.core, this.node, err).error_type });
      throw err;
    }
  }
}

class TurnImpl extends Host implements Turn {
  readonly node: SpanNode;
  /** Whether an operation that opens turns (a recording) already ran in this turn. */
  hasOpener = false;
  private readonly stats = new StatsAccumulator();
  private readonly state: TurnState = { running: 0, interrupted: false, onIdle: undefined };
  /** end() was called while operations still ran: no new operation joins; the span ends with the last one. */
  private closing = false;

  override get ended(): boolean {
    return this.closing || this.node.ended;
  }

  constructor(
    protected readonly core: Core,
    readonly session: SessionImpl,
    readonly number: number,
  ) {
    super();
    const span = startSpan(
      core,
      SPAN_TURN,
      {
        attributes: { [ATTR_SESSION_ID]: session.id, [ATTR_GEN_AI_CONVERSATION]: session.id, [ATTR_TURN_NUMBER]: number },
        startTime: usToHrTime(core.clock.nowUs()),
      },
      parentContext(session.node),
    );
    this.node = newNode(span, session.id, number, session.live);
  }

  private place: OperationPlace | undefined;

  placeFor(kind: OperationKind): OperationPlace {
    if (OPERATION_KINDS[kind].turn === 'opens') this.hasOpener = true;
    // The same for every operation of the turn: made once.
    return (this.place ??= {
      parent: this.node,
      sessionId: this.session.id,
      turn: this.number,
      deriver: this.session.live,
      scope: (op) => ({ session: this.session, turn: this, op }),
      shared: this.session.shared,
      turnState: this.state,
    });
  }

  addSample(sample: Parameters<StatsAccumulator['add']>[0]): void {
    this.stats.add(sample);
  }

  async run<R>(fn: (turn: Turn) => R | Promise<R>): Promise<R> {
    try {
      return await runInScope({ session: this.session, turn: this }, this.span, () => fn(this));
    } finally {
      // not end(): its metrics would be derived now, on the app's path, and thrown away
      this.close(false);
    }
  }

  metrics(): TurnMetrics {
    this.session.live.drain();
    return { sessionId: this.session.id, turn: this.number, metrics: this.stats.snapshot(), breakdown: this.stats.breakdown() };
  }

  /** Ends the turn; one whose operations still run (a TTS still playing) ends when the last of them does. */
  end(): TurnMetrics {
    this.close(false);
    return this.metrics();
  }

  /** @internal `sessionClosing`: the session ends now, whatever still runs (end reason `session_closed`). */
  close(sessionClosing: boolean): void {
    if (this.node.ended) return;
    if (this.state.running > 0 && !sessionClosing) {
      this.closing = true;
      this.state.onIdle ??= () => this.finish('completed');
      return;
    }
    this.finish(this.state.running > 0 ? 'session_closed' : 'completed');
  }

  private finish(reason: 'completed' | 'session_closed'): void {
    if (this.node.ended) return;
    this.state.onIdle = undefined;
    const interrupted = this.state.interrupted;
    try {
      this.node.span.setAttributes({ [ATTR_TURN_INTERRUPTED]: interrupted, [ATTR_GEN_AI_END_REASON]: interrupted ? 'interrupted' : reason });
    } catch {
      // a broken span must not stop the turn from ending
    }
    endSpan(this.core, this.node);
    // It leaves the open turns once its events are derived: their samples still reach its stats.
    this.session.live.after(() => this.session.turnEnded(this));
  }
}

function validSessionId(id: unknown, core: Core): string {
  if (id === undefined) return newSessionId(core);
  if (typeof id === 'string' && id.trim() !== '' && id.length <= 256) return id;
  const generated = newSessionId(core);
  core.warn(`session id ${describeValue(id)} is not a non-empty string of at most 256 characters; using ${generated}`);
  return generated;
}

function newSessionId(core: Core): string {
  return `conv_${Math.floor(core.clock.nowUs() / 1000)}_${randomBytes(3).toString('hex')}`;
}
