import type { EventRecord } from 'voicemode-events';
import { ChurnMap } from '../reader/churn-map.js';
import type { UsageFigures } from '../reader/parse-line.js';
import { priceOf, type ModelPrice, type PriceTable, type PricedStage } from './prices.js';
import { distribution, type Distribution } from './quantiles.js';

/**
 * Usage and cost from the events, offline (summary, report) and live (the demo): what the JSONL
 * data carries as our writer logs it:
 *   - TTS: `characters` on TTS_START (every attempt: a retried request is billed again);
 *   - STT: `audio_s` on STT_START (the audio sent);
 *   - LLM: `input_tokens` / `output_tokens` on LLM_COMPLETE, priced by the provider/model of
 *     the LLM_START of the same span (our lines), else of the session's latest LLM_START.
 * An event of those types without its figure is counted as `without_usage`, never guessed.
 *
 * With a price table, each session's cost is summed as its events come (one number per open
 * session), and a session with any unpriced usage is left out of the per-session statistics
 * (its cost is unknown, not lower); the unpriced models are listed.
 */
export type UsageStage = PricedStage;

/** Provider and model of a usage entry (undefined: the event had none). */
interface Labels {
  provider: string | undefined;
  model: string | undefined;
}

interface ModelUsage extends Labels {
  stage: UsageStage;
  operations: number;
  /** tts: characters; stt: audio seconds; llm: input tokens. */
  amount: number;
  /** llm: output tokens. */
  amount2: number;
  /** Its price, looked up once (undefined: unpriced, or no table). */
  price: ModelPrice | undefined;
}

export interface SessionUsage {
  /** Usage figures of the session. */
  characters: number;
  audio_s: number;
  input_tokens: number;
  output_tokens: number;
  /** Cost of its priced usage. */
  cost: number;
  used: boolean;
  unpriced: boolean;
  /** An operation of the session logged no usage figure: its cost is unknown, not lower. */
  withoutFigures: boolean;
  /** The LLM entry (labels) of each LLM_START by span id, until the span's LLM_COMPLETE / LLM_ERROR. */
  llmBySpan: Map<string, ModelUsage> | undefined;
  lastLlm: ModelUsage | undefined;
}

export interface StageUsageJson {
  operations: number;
  /** Events of the stage that carried no usage figure (e.g. other writers' logs). */
  without_usage: number;
  models: Record<string, unknown>[];
  [figure: string]: unknown;
}

export interface UsageJson {
  tts: StageUsageJson;
  stt: StageUsageJson;
  llm: StageUsageJson;
}

export interface CostJson {
  prices: string;
  prices_date: string;
  currency: string;
  /** Cost of the priced usage; `complete` is false when some usage has no price or some operation logged no usage figure. */
  total: number;
  complete: boolean;
  by_stage: Record<UsageStage, number>;
  models: { stage: UsageStage; provider: string | null; model: string | null; cost: number }[];
  /** Sessions with usage, all of it priced: their cost each. */
  per_session: Distribution & { total: number };
  sessions_with_unpriced: number;
  /** Sessions left out of `per_session` because an operation logged no usage figure (cost unknown). */
  sessions_without_figures: number;
  unpriced: Record<string, unknown>[];
}

const STAGES: readonly UsageStage[] = ['tts', 'stt', 'llm'];
const MAX_LLM_SPANS = 10_000;
/** Bit n set: an event type that push() handles is n characters long. */
const HANDLED_LENGTHS = ['TTS_START', 'STT_START', 'LLM_START', 'LLM_COMPLETE', 'LLM_ERROR', 'SESSION_END'].reduce((m, t) => m | (1 << t.length), 0);
const NONE: Readonly<Record<string, unknown>> = Object.freeze({});

/** A usage figure as logged: a finite number >= 0, else undefined. */
function figure(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined;
}

function label(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The cost of `amount` (and `amount2`) of a stage at a price. */
function costAt(p: ModelPrice, stage: UsageStage, amount: number, amount2: number): number {
  if (stage === 'tts') return (amount * p.per_1m_characters!) / 1e6;
  if (stage === 'stt') return (amount / 60) * p.per_audio_minute!;
  return (amount * p.per_1m_input_tokens! + amount2 * p.per_1m_output_tokens!) / 1e6;
}

/** The cost of `amount` (and `amount2`) of a stage's usage of a provider/model (undefined: unpriced). */
export function costOf(prices: PriceTable, stage: UsageStage, labels: Labels, amount: number, amount2 = 0): number | undefined {
  const p = priceOf(prices, stage, labels.provider, labels.model);
  return p === undefined ? undefined : costAt(p, stage, amount, amount2);
}

/** Ended sessions kept open to late usage (operations that finish after SESSION_END). */
const ENDED_WINDOW = 1024;

export class UsageCounter {
  /** stage -> provider ('' for none) -> model ('' for none) -> entry: no key string built per event. */
  private readonly models: Record<UsageStage, Map<string, Map<string, ModelUsage>>> = { tts: new Map(), stt: new Map(), llm: new Map() };
  private readonly withoutUsage: Record<UsageStage, number> = { tts: 0, stt: 0, llm: 0 };
  private readonly sessions = new ChurnMap<string, SessionUsage>();
  /** Events outside any session: counted in the totals, not in the per-session statistics. */
  private readonly noSession: SessionUsage = UsageCounter.newSession();
  private readonly sessionCosts: number[] = [];
  private sessionsWithUnpriced = 0;
  private sessionsWithoutFigures = 0;
  /**
   * Sessions past their SESSION_END, settled only when they leave this window (or at the end): an
   * operation still running at SESSION_END (the user hung up mid-reply) logs its usage after it,
   * and that usage, with its LLM_START's model, belongs to the same session.
   */
  private readonly ended = new Map<string, SessionUsage>();

  /** `onSession`: each session's usage when it ends (the demo's table). */
  constructor(
    private readonly prices?: PriceTable | undefined,
    private readonly onSession?: (sessionId: string, usage: Readonly<SessionUsage>) => void,
  ) {}

  private static newSession(): SessionUsage {
    return {
      characters: 0,
      audio_s: 0,
      input_tokens: 0,
      output_tokens: 0,
      cost: 0,
      used: false,
      unpriced: false,
      withoutFigures: false,
      llmBySpan: undefined,
      lastLlm: undefined,
    };
  }

  /**
   * One event. Order: a session's events as written (file order, or live); an LLM_COMPLETE
   * after the LLM_START of its span. `usage` (the compact reader's) holds the figures when given.
   */
  push(ev: EventRecord & { usage?: UsageFigures | undefined }): void {
    const type = ev.eventType;
    // most events are ruled out by the length of their type (every event of a run passes here)
    const n = type.length;
    if (n >= 32 || ((HANDLED_LENGTHS >>> n) & 1) === 0) return;
    switch (type) {
      case 'TTS_START':
      case 'STT_START':
      case 'LLM_START':
      case 'LLM_COMPLETE':
      case 'LLM_ERROR':
        this.usageEvent(ev, type);
        return;
      case 'SESSION_END':
        if (ev.sessionId !== null) this.endSession(ev.sessionId);
        return;
      default:
    }
  }

  private session(sid: string | null): SessionUsage {
    if (sid === null) return this.noSession;
    let s = this.sessions.get(sid) ?? this.ended.get(sid);
    if (s === undefined) this.sessions.set(sid, (s = UsageCounter.newSession()));
    return s;
  }

  private usageEvent(ev: EventRecord & { usage?: UsageFigures | undefined }, type: string): void {
    const data = ev.data;
    const figures: { readonly [K in keyof UsageFigures]?: unknown } = ev.usage ?? data;
    const s = this.session(ev.sessionId);
    if (type === 'TTS_START') {
      const n = figure(figures.characters);
      if (n === undefined) this.noFigure(s, 'tts');
      else this.add(s, this.entry('tts', data), n, 0);
    } else if (type === 'STT_START') {
      const n = figure(figures.audio_s);
      if (n === undefined) this.noFigure(s, 'stt');
      else this.add(s, this.entry('stt', data), n, 0);
    } else if (type === 'LLM_START') {
      const entry = this.entry('llm', data);
      s.lastLlm = entry;
      if (ev.spanId !== undefined) {
        s.llmBySpan ??= new Map();
        if (s.llmBySpan.size >= MAX_LLM_SPANS) s.llmBySpan.clear(); // spans never completed (the null session never ends)
        s.llmBySpan.set(ev.spanId, entry);
      }
    } else {
      const started = ev.spanId === undefined ? undefined : s.llmBySpan?.get(ev.spanId);
      if (started !== undefined) s.llmBySpan!.delete(ev.spanId!);
      if (type === 'LLM_ERROR') return;
      const input = figure(figures.input_tokens);
      const output = figure(figures.output_tokens);
      if (input === undefined && output === undefined) {
        this.noFigure(s, 'llm');
        return;
      }
      // its own labels, else its LLM_START's (same span, else the session's latest)
      const entry = label(data.provider) !== undefined ? this.entry('llm', data) : (started ?? s.lastLlm ?? this.entry('llm', NONE));
      this.add(s, entry, input ?? 0, output ?? 0);
    }
  }

  /** The entry of a stage and the provider/model of `data`. */
  private entry(stage: UsageStage, data: Readonly<Record<string, unknown>>): ModelUsage {
    // the compact reader shares one data object per label set: the same object, the same entry
    const last = this.last[stage];
    if (last.data === data) return last.entry!;
    const m = this.lookup(stage, data);
    last.data = data;
    last.entry = m;
    return m;
  }

  /** The last data object and its entry, per stage (entries are never removed, so it stays right). */
  private readonly last: Record<UsageStage, { data: object | undefined; entry: ModelUsage | undefined }> = {
    tts: { data: undefined, entry: undefined },
    stt: { data: undefined, entry: undefined },
    llm: { data: undefined, entry: undefined },
  };

  private lookup(stage: UsageStage, data: Readonly<Record<string, unknown>>): ModelUsage {
    const provider = label(data.provider);
    const model = label(data.model);
    const byProvider = this.models[stage];
    let byModel = byProvider.get(provider ?? '');
    if (byModel === undefined) byProvider.set(provider ?? '', (byModel = new Map()));
    let m = byModel.get(model ?? '');
    if (m === undefined) {
      const price = this.prices === undefined ? undefined : priceOf(this.prices, stage, provider, model);
      byModel.set(model ?? '', (m = { stage, provider, model, operations: 0, amount: 0, amount2: 0, price }));
    }
    return m;
  }

  private add(s: SessionUsage, m: ModelUsage, amount: number, amount2: number): void {
    m.operations++;
    m.amount += amount;
    m.amount2 += amount2;
    s.used = true;
    const stage = m.stage;
    if (stage === 'tts') s.characters += amount;
    else if (stage === 'stt') s.audio_s += amount;
    else {
      s.input_tokens += amount;
      s.output_tokens += amount2;
    }
    if (this.prices !== undefined) {
      if (m.price === undefined) s.unpriced = true;
      else s.cost += costAt(m.price, stage, amount, amount2);
    }
  }

  private noFigure(s: SessionUsage, stage: UsageStage): void {
    this.withoutUsage[stage]++;
    s.withoutFigures = true;
  }

  private endSession(sid: string): void {
    const s = this.sessions.get(sid);
    if (s === undefined) return;
    this.sessions.delete(sid);
    this.onSession?.(sid, s);
    this.ended.set(sid, s);
    if (this.ended.size > ENDED_WINDOW) {
      const [oldest, usage] = this.ended.entries().next().value as [string, SessionUsage];
      this.ended.delete(oldest);
      this.settle(usage);
    }
  }

  private settle(s: SessionUsage): void {
    if (!s.used && !s.withoutFigures) return;
    if (s.unpriced) this.sessionsWithUnpriced++;
    else if (s.withoutFigures) this.sessionsWithoutFigures++;
    else this.sessionCosts.push(s.cost);
  }

  /** The sessions still open (no SESSION_END in the input) count as they are; then every ended one is settled. */
  closeAll(): void {
    for (const [sid] of [...this.sessions.entries()]) this.endSession(sid);
    for (const s of this.ended.values()) this.settle(s);
    this.ended.clear();
  }

  private sorted(): ModelUsage[] {
    const all: ModelUsage[] = [];
    // an entry made for an LLM_START whose operation logged no tokens has no usage: not listed
    for (const stage of STAGES) for (const byModel of this.models[stage].values()) for (const m of byModel.values()) if (m.operations > 0) all.push(m);
    return all.sort((a, b) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage) || cmp(a.provider, b.provider) || cmp(a.model, b.model));
  }

  /** Usage by stage and provider/model (no prices needed). */
  usage(): UsageJson {
    const out = {} as UsageJson;
    for (const stage of STAGES) {
      const models = this.sorted().filter((m) => m.stage === stage);
      const figures = FIGURES[stage];
      const entry = { operations: 0 } as StageUsageJson;
      for (const f of figures) entry[f] = 0;
      entry.without_usage = this.withoutUsage[stage];
      entry.models = [];
      for (const m of models) {
        entry.operations += m.operations;
        const row: Record<string, unknown> = { provider: m.provider ?? null, model: m.model ?? null, operations: m.operations };
        const vals = [m.amount, m.amount2];
        figures.forEach((f, i) => {
          row[f] = vals[i];
          entry[f] = (entry[f] as number) + vals[i]!;
        });
        entry.models.push(row);
      }
      out[stage] = entry;
    }
    return out;
  }

  /** Cost with the price table given to the constructor; undefined without one. */
  cost(): CostJson | undefined {
    const prices = this.prices;
    if (prices === undefined) return undefined;
    this.closeAll();
    const byStage: Record<UsageStage, number> = { tts: 0, stt: 0, llm: 0 };
    const models: CostJson['models'] = [];
    const unpriced: CostJson['unpriced'] = [];
    let total = 0;
    for (const m of this.sorted()) {
      const c = m.price === undefined ? undefined : costAt(m.price, m.stage, m.amount, m.amount2);
      if (c === undefined) {
        const row: Record<string, unknown> = { stage: m.stage, provider: m.provider ?? null, model: m.model ?? null, operations: m.operations };
        FIGURES[m.stage].forEach((f, i) => (row[f] = i === 0 ? m.amount : m.amount2));
        unpriced.push(row);
        continue;
      }
      byStage[m.stage] += c;
      total += c;
      models.push({ stage: m.stage, provider: m.provider ?? null, model: m.model ?? null, cost: c });
    }
    const per = distribution(Float64Array.from(this.sessionCosts));
    let perTotal = 0;
    for (const c of this.sessionCosts) perTotal += c;
    return {
      prices: prices.source,
      prices_date: prices.date,
      currency: prices.currency,
      total,
      // an operation that logged no usage figure has a cost nobody knows either
      complete: unpriced.length === 0 && this.withoutUsage.tts + this.withoutUsage.stt + this.withoutUsage.llm === 0,
      by_stage: byStage,
      models,
      per_session: { ...per, total: perTotal },
      sessions_with_unpriced: this.sessionsWithUnpriced,
      sessions_without_figures: this.sessionsWithoutFigures,
      unpriced,
    };
  }
}

/** The names of a stage's usage figures (amount, amount2). */
export const FIGURES: Record<UsageStage, readonly string[]> = {
  tts: ['characters'],
  stt: ['audio_s'],
  llm: ['input_tokens', 'output_tokens'],
};

function cmp(a: string | undefined, b: string | undefined): number {
  const x = a ?? '';
  const y = b ?? '';
  return x < y ? -1 : x > y ? 1 : 0;
}
