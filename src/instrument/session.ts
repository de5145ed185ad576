import { randomBytes } from 'node:crypto';
import { ROOT_CONTEXT, SpanStatusCode, type Span } from '@opentelemetry/api';
import { warnOnce } from '../config.js';
import { assertEventType, type EventType } from '../events/catalog.js';
import { describeValue } from '../events/safe-json.js';
import { redactText } from '../events/sanitize.js';
import { ATTR_SESSION_ID, ATTR_TURN_NUMBER, SPAN_SESSION, SPAN_TURN } from '../events/span-attributes.js';
import { MetricsDeriver, StatsAccumulator, type MetricCounts, type MetricName, type MetricStats } from '../metrics/derive.js';
import { liveSamples } from '../metrics/sample-bus.js';
import { usToHrTime } from '../time/format.js';
import { emitEvent, endSpan, newNode, parentContext, runInScope, scopeStorage, type Core, type SpanNode } from './core.js';
import {
  runOperation,
  type OperationPlace,
  type RecordingInput,
  type RecordingOperation,
  type SttInput,
  type SttOperation,
  type SttResult,
  type TtsInput,
  type TtsOperation,
} from './operations.js';

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
  /** Starts with no end (errors, missing events), per metric. */
  incomplete: MetricCounts;
}

export interface TurnMetrics {
  sessionId: string;
  turn: number;
  metrics: Partial<Record<MetricName, MetricStats>>;
}

/**
 * The three wrapped operations, on a session (turns are then managed for you) or on an
 * explicit turn. See `runOperation` for what each emits.
 */
export interface OperationHost {
  tts<T>(input: TtsInput, fn: (op: TtsOperation) => AsyncIterable<T>): AsyncIterable<T>;
  tts<R>(input: TtsInput, fn: (op: TtsOperation) => R | Promise<R>): Promise<R>;
  record<R>(input: RecordingInput, fn: (op: RecordingOperation) => R | Promise<R>): Promise<R>;
  stt<R extends SttResult>(input: SttInput, fn: (op: SttOperation) => R | Promise<R>): Promise<R>;
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
}

type OpKind = 'tts' | 'recording' | 'stt';

/** Shared by sessions and turns: the operations, routed through `placeFor`. */
abstract class Host implements OperationHost {
  protected abstract readonly core: Core;
  /** This session's or turn's own span; logEvent lands here when no operation of ours is running. */
  abstract readonly node: SpanNode;
  protected abstract placeFor(kind: OpKind): OperationPlace;

  get span(): Span {
    return this.node.span;
  }
  get ended(): boolean {
    return this.node.ended;
  }

  tts(input: TtsInput, fn: (op: TtsOperation) => unknown): never {
    return runOperation(this.core, 'tts', this.placeFor('tts'), input, fn as (op: never) => unknown) as never;
  }
  record(input: RecordingInput, fn: (op: RecordingOperation) => unknown): never {
    return runOperation(this.core, 'recording', this.placeFor('recording'), input, fn as (op: never) => unknown) as never;
  }
  stt(input: SttInput, fn: (op: SttOperation) => unknown): never {
    return runOperation(this.core, 'stt', this.placeFor('stt'), input, fn as (op: never) => unknown) as never;
  }

  logEvent(eventType: EventType, data?: Record<string, unknown>): void {
    assertEventType(eventType);
    emitEvent(this.core, this.currentNode(), eventType, data);
  }

  /** The innermost open span of ours in the running call chain that belongs here. */
  protected currentNode(): SpanNode {
    const scope = scopeStorage.getStore();
    const fallback = this.node;
    if (scope?.op && !scope.op.ended && scope.op.sessionId === fallback.sessionId) return scope.op;
    if (scope?.turn && !scope.turn.node.ended && scope.turn.node.sessionId === fallback.sessionId) return scope.turn.node;
    return fallback;
  }
}

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
  private readonly stats = new StatsAccumulator();
  private readonly openTurns = new Map<number, TurnImpl>();
  private lastTurnNumber = -1;
  private autoTurn: TurnImpl | undefined;
  private finalMetrics: SessionMetrics | undefined;

  constructor(
    protected readonly core: Core,
    options: SessionOptions = {},
  ) {
    super();
    this.id = validSessionId(options.id, core);
    this.deriver = new MetricsDeriver((sample) => {
      this.stats.add(sample);
      this.openTurns.get(sample.turn)?.addSample(sample);
      liveSamples.emit(sample);
    });
    const span = core.tracer.startSpan(
      SPAN_SESSION,
      { root: true, attributes: { [ATTR_SESSION_ID]: this.id }, startTime: usToHrTime(core.clock.nowUs()) },
      ROOT_CONTEXT,
    );
    this.node = newNode(span, this.id, undefined, this.deriver);
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
  protected placeFor(kind: OpKind): OperationPlace {
    const scope = scopeStorage.getStore();
    const inTurn = scope?.turn;
    let turn: TurnImpl;
    if (inTurn instanceof TurnImpl && inTurn.session === this && !inTurn.ended) turn = inTurn;
    else turn = this.autoTurnFor(kind);
    return turn.placeFor(kind);
  }

  private autoTurnFor(kind: OpKind): TurnImpl {
    const current = this.autoTurn && !this.autoTurn.ended ? this.autoTurn : undefined;
    if (kind === 'recording') {
      if (current && current.number >= 1 && !current.hasRecording) return current;
    } else if (current) return current;
    this.closeAutoTurn();
    const number = kind === 'tts' && this.lastTurnNumber < 0 ? 0 : Math.max(1, this.lastTurnNumber + 1);
    this.autoTurn = this.openTurn(number);
    return this.autoTurn;
  }

  private closeAutoTurn(): void {
    if (this.autoTurn && !this.autoTurn.ended) this.autoTurn.end();
    this.autoTurn = undefined;
  }

  private openTurn(number: number): TurnImpl {
    this.lastTurnNumber = number;
    const turn = new TurnImpl(this.core, this, number);
    this.openTurns.set(number, turn);
    return turn;
  }

  /** @internal called by a turn when it ends */
  turnEnded(turn: TurnImpl): void {
    this.openTurns.delete(turn.number);
  }

  metrics(): SessionMetrics {
    if (this.finalMetrics) return this.finalMetrics;
    return {
      sessionId: this.id,
      turns: this.lastTurnNumber + 1,
      metrics: this.stats.snapshot(),
      incomplete: { ...this.deriver.totals.incomplete },
    };
  }

  end(data: { reason?: string; [key: string]: unknown } = {}): SessionMetrics {
    if (this.finalMetrics) return this.finalMetrics;
    for (const turn of [...this.openTurns.values()]) turn.end();
    emitEvent(this.core, this.node, 'SESSION_END', { reason: 'completed', ...data, turns: this.lastTurnNumber + 1 });
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
      const message = err instanceof Error ? err.message : String(err);
      this.node.span.setStatus({ code: SpanStatusCode.ERROR, message: this.core.redact === 'all' ? redactText(message) : message });
      this.end({ reason: 'error', error_type: err instanceof Error ? err.name : typeof err });
      throw err;
    }
  }
}

class TurnImpl extends Host implements Turn {
  readonly node: SpanNode;
  hasRecording = false;
  private readonly stats = new StatsAccumulator();

  constructor(
    protected readonly core: Core,
    readonly session: SessionImpl,
    readonly number: number,
  ) {
    super();
    const span = core.tracer.startSpan(
      SPAN_TURN,
      { attributes: { [ATTR_SESSION_ID]: session.id, [ATTR_TURN_NUMBER]: number }, startTime: usToHrTime(core.clock.nowUs()) },
      parentContext(session.node),
    );
    this.node = newNode(span, session.id, number, session.deriver);
  }

  private place: OperationPlace | undefined;

  placeFor(kind: OpKind): OperationPlace {
    if (kind === 'recording') this.hasRecording = true;
    // The same for every operation of the turn: made once.
    return (this.place ??= {
      parent: this.node,
      sessionId: this.session.id,
      turn: this.number,
      deriver: this.session.deriver,
      scope: (op) => ({ session: this.session, turn: this, op }),
    });
  }

  addSample(sample: Parameters<StatsAccumulator['add']>[0]): void {
    this.stats.add(sample);
  }

  async run<R>(fn: (turn: Turn) => R | Promise<R>): Promise<R> {
    try {
      return await runInScope({ session: this.session, turn: this }, this.span, () => fn(this));
    } finally {
      this.end();
    }
  }

  metrics(): TurnMetrics {
    return { sessionId: this.session.id, turn: this.number, metrics: this.stats.snapshot() };
  }

  end(): TurnMetrics {
    if (!this.node.ended) {
      endSpan(this.core, this.node);
      this.session.turnEnded(this);
    }
    return this.metrics();
  }
}

function validSessionId(id: unknown, core: Core): string {
  if (id === undefined) return newSessionId(core);
  if (typeof id === 'string' && id.trim() !== '' && id.length <= 256) return id;
  const generated = newSessionId(core);
  warnOnce(`session id ${describeValue(id)} is not a non-empty string of at most 256 characters; using ${generated}`);
  return generated;
}

function newSessionId(core: Core): string {
  return `conv_${Math.floor(core.clock.nowUs() / 1000)}_${randomBytes(3).toString('hex')}`;
}
