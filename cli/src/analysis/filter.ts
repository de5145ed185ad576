import type { EventRecord } from 'voicemode-events';
import { ownValue, parseTimestampUs } from 'voicemode-events/internal';

/**
 * Event filters shared by the commands: session, time range, event type glob, and
 * `--where` conditions on the line's fields (`data.provider=openai`, `turn=2`, `data.metrics.ttfa_ms!=0`).
 */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since` / `--until` values: an ISO time (any form the reader accepts; a time without an
 * offset is UTC), a date (`2026-11-23`, midnight UTC), or a duration back from now (`90s`,
 * `30m`, `24h`, `7d`, `2w`). Returns epoch microseconds, or NaN when it is none of these.
 */
export function parseTimeArg(raw: string, nowMs: number = Date.now()): number {
  const text = raw.trim();
  const d = DURATION.exec(text);
  if (d) return Math.round((nowMs - Number(d[1]) * UNIT_MS[d[2]!.toLowerCase()]!) * 1000);
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return parseTimestampUs(`${text}T00:00:00Z`);
  return parseTimestampUs(text);
}

/** A glob on event types: `*` any run of characters, `?` one; comma separates alternatives. Case-sensitive. */
export function globToRegExp(glob: string): RegExp {
  const alts = glob
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '')
    .map((g) => g.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.'));
  return new RegExp(`^(?:${alts.join('|')})$`);
}

export interface WhereCondition {
  path: string[];
  op: '=' | '!=';
  value: string;
}

/** `key.path=value` or `key.path!=value`; the path starts at the line (`data.x`, `session_id`, `turn`). */
export function parseWhere(raw: string): WhereCondition | undefined {
  const m = /^([A-Za-z_][\w.-]*?)(!=|=)(.*)$/s.exec(raw);
  if (!m) return undefined;
  return { path: m[1]!.split('.'), op: m[2] as '=' | '!=', value: m[3]! };
}

/** A Map, not an object literal: `--where constructor=...` or `__proto__=...` must not find Object's members. */
const TOP_LEVEL = new Map<string, (e: EventRecord) => unknown>([
  ['timestamp', (e) => e.timestampUs],
  ['event_type', (e) => e.eventType],
  ['session_id', (e) => e.sessionId],
  ['data', (e) => e.data],
  ['turn', (e) => e.turn],
  ['trace_id', (e) => e.traceId],
  ['span_id', (e) => e.spanId],
]);

function lookup(ev: EventRecord, path: readonly string[]): unknown {
  const top = TOP_LEVEL.get(path[0]!);
  let v: unknown = top ? top(ev) : undefined;
  for (let i = 1; i < path.length; i++) {
    if (v === null || typeof v !== 'object') return undefined;
    v = ownValue(v, path[i]!); // data's own keys only: `data.constructor` is not Object
  }
  return v;
}

/** The keys a `--where` path can start with: the line's top-level keys. */
export const TOP_LEVEL_KEYS: readonly string[] = [...TOP_LEVEL.keys()];

export function isTopLevelKey(key: string): boolean {
  return TOP_LEVEL.has(key);
}

/**
 * A value matches when its text equals the condition's value (`null` for null, JSON for
 * objects). A line without the key matches no condition on it, whatever the operator: `!=`
 * means "has the key, with another value" (docs/cli.md).
 */
export function matchesWhere(ev: EventRecord, c: WhereCondition): boolean {
  const v = lookup(ev, c.path);
  if (v === undefined) return false;
  const text = v === null ? 'null' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  const eq = text === c.value;
  return c.op === '=' ? eq : !eq;
}

export interface EventFilter {
  session?: string | undefined;
  sinceUs?: number | undefined;
  untilUs?: number | undefined;
  type?: RegExp | undefined;
  /** The glob `type` was made from, when it was one: the reader's line prefilter reads it (reader/line-prefilter.ts). */
  typeGlob?: string | undefined;
  where?: readonly WhereCondition[] | undefined;
}

/** A predicate for the filter, or undefined when it lets everything through (the fast path). */
export function compileFilter(f: EventFilter): ((ev: EventRecord) => boolean) | undefined {
  const { session, sinceUs, untilUs, type, where } = f;
  if (session === undefined && sinceUs === undefined && untilUs === undefined && type === undefined && !where?.length) return undefined;
  return (ev) => {
    if (session !== undefined && ev.sessionId !== session) return false;
    if (sinceUs !== undefined && ev.timestampUs < sinceUs) return false;
    if (untilUs !== undefined && ev.timestampUs > untilUs) return false;
    if (type !== undefined && !type.test(ev.eventType)) return false;
    if (where) for (const c of where) if (!matchesWhere(ev, c)) return false;
    return true;
  };
}
