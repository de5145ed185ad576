import { readFile } from 'node:fs/promises';
import { type Env, processEnv } from 'voicemode-events/internal';
import { pricesPath } from '../environment.js';
import { UsageError } from '../reader/errors.js';

/**
 * The price table for usage and cost (`--prices path.json` or `VOICEMODE_PRICES`): per provider
 * and model, what a unit of each stage's usage costs. Prices change: the table carries its date,
 * and every output that shows a cost names the table and its date.
 *
 *   { "date": "2026-11-30", "currency": "USD",
 *     "prices": { "openai": { "tts-1": { "per_1m_characters": 15 },
 *                             "gpt-4o-mini": { "per_1m_input_tokens": 0.15, "per_1m_output_tokens": 0.6 } },
 *                 "whisper": { "*": { "per_audio_minute": 0 } } } }
 *
 * `"*"` prices every model of a provider that has no entry of its own. A stage's usage with no
 * price is *unpriced*: listed, never counted as free.
 *
 * Validated by hand (no schema library is a dependency, and this is one small shape): the first
 * problem is reported with the path of the bad entry, e.g. `prices.openai["tts-1"].per_1m_characters`.
 * Provider and model names come from the file: they are kept in Maps, never as object keys.
 */
export interface ModelPrice {
  /** TTS: per 1,000,000 characters sent to the provider. */
  per_1m_characters?: number;
  /** STT: per minute of audio sent to the provider. */
  per_audio_minute?: number;
  /** LLM: per 1,000,000 input (prompt) tokens; given together with per_1m_output_tokens. */
  per_1m_input_tokens?: number;
  /** LLM: per 1,000,000 output (completion) tokens. */
  per_1m_output_tokens?: number;
}

export interface PriceTable {
  /** Where the table was read from (shown with every cost). */
  source: string;
  /** The day the prices were looked up (YYYY-MM-DD). */
  date: string;
  currency: string;
  /** provider -> model (or "*") -> price */
  byProvider: Map<string, Map<string, ModelPrice>>;
}

export const PRICE_FIELDS = ['per_1m_characters', 'per_audio_minute', 'per_1m_input_tokens', 'per_1m_output_tokens'] as const;
const TOP_FIELDS = ['date', 'currency', 'note', 'source', 'prices'] as const;

/** The stages whose usage has a price. */
export type PricedStage = 'tts' | 'stt' | 'llm';

/** The price of one stage's usage of a provider/model, or undefined when the table has none. */
export function priceOf(table: PriceTable, stage: PricedStage, provider: string | undefined, model: string | undefined): ModelPrice | undefined {
  if (provider === undefined) return undefined;
  const models = table.byProvider.get(provider);
  if (models === undefined) return undefined;
  const has = (p: ModelPrice | undefined): boolean =>
    p !== undefined && (stage === 'tts' ? p.per_1m_characters !== undefined : stage === 'stt' ? p.per_audio_minute !== undefined : p.per_1m_input_tokens !== undefined);
  const own = model === undefined ? undefined : models.get(model);
  if (has(own)) return own;
  const any = models.get('*');
  return has(any) ? any : undefined;
}

/** A key as a path segment: `.name` when plain, `["name"]` otherwise. */
function seg(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own enumerable entries (JSON.parse gives only those; a `__proto__` key is an own key there). */
function entries(o: Record<string, unknown>): [string, unknown][] {
  return Object.keys(o).map((k) => [k, Object.getOwnPropertyDescriptor(o, k)!.value]);
}

/** A real day: 2026-02-31 is not (Date would roll it over to March). */
function isCalendarDay(date: string): boolean {
  const t = Date.parse(`${date}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === date;
}

/** The largest price accepted, per unit (1M characters, an audio minute, 1M tokens). */
const MAX_PRICE = 1e9;

/**
 * Checks a parsed price table and builds it; throws a UsageError naming the file and the first
 * bad entry.
 */
export function parsePriceTable(raw: unknown, source: string): PriceTable {
  const fail = (where: string, what: string): never => {
    throw new UsageError(`price table ${source}: ${where} ${what}`);
  };
  if (!isPlainObject(raw)) fail('the file', 'must hold one JSON object with "date", "currency" and "prices"');
  const top = raw as Record<string, unknown>;
  for (const [k] of entries(top)) {
    if (!(TOP_FIELDS as readonly string[]).includes(k)) fail(`field ${JSON.stringify(k)}`, `is not known (expected ${TOP_FIELDS.join(', ')})`);
  }
  const date = Object.getOwnPropertyDescriptor(top, 'date')?.value;
  if (typeof date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(date) || !isCalendarDay(date)) {
    fail('date', 'must be the day the prices were looked up, as "YYYY-MM-DD" (prices change)');
  }
  const currencyField = Object.getOwnPropertyDescriptor(top, 'currency');
  const currency = currencyField === undefined ? 'USD' : currencyField.value;
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) fail('currency', 'must be a three-letter code such as "USD"');
  const prices = Object.getOwnPropertyDescriptor(top, 'prices')?.value;
  if (!isPlainObject(prices)) fail('prices', 'must be an object: provider -> model -> price');
  const byProvider = new Map<string, Map<string, ModelPrice>>();
  for (const [provider, models] of entries(prices as Record<string, unknown>)) {
    const at = `prices${seg(provider)}`;
    if (!isPlainObject(models)) fail(at, 'must be an object: model (or "*") -> price');
    const table = new Map<string, ModelPrice>();
    for (const [model, price] of entries(models as Record<string, unknown>)) {
      const mat = `${at}${seg(model)}`;
      if (!isPlainObject(price)) fail(mat, `must be an object with any of ${PRICE_FIELDS.join(', ')}`);
      const p: ModelPrice = {};
      for (const [field, value] of entries(price as Record<string, unknown>)) {
        if (!(PRICE_FIELDS as readonly string[]).includes(field)) fail(`${mat}${seg(field)}`, `is not a price field (expected ${PRICE_FIELDS.join(', ')})`);
        // the bound keeps every product finite (usage figures are at most ~1e15 in any real log)
        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > MAX_PRICE) {
          fail(`${mat}${seg(field)}`, `must be a number from 0 to ${MAX_PRICE}, not ${JSON.stringify(value) ?? String(value)}`);
        }
        p[field as (typeof PRICE_FIELDS)[number]] = value as number;
      }
      if (Object.keys(p).length === 0) fail(mat, `has no price (give any of ${PRICE_FIELDS.join(', ')})`);
      if ((p.per_1m_input_tokens === undefined) !== (p.per_1m_output_tokens === undefined)) fail(mat, 'must give per_1m_input_tokens and per_1m_output_tokens together');
      table.set(model, p);
    }
    byProvider.set(provider, table);
  }
  return { source, date: date as string, currency: (currency as string).toUpperCase(), byProvider };
}

/** Reads and checks a price table file. */
export async function loadPriceTable(path: string): Promise<PriceTable> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the price table ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`price table ${path} is not valid JSON: ${(err as Error).message}`);
  }
  return parsePriceTable(raw, path);
}

/** The table named by `--prices`, else by VOICEMODE_PRICES; undefined when neither is set. */
export async function pricesFromOptions(flag: string | undefined, env: Env = processEnv()): Promise<PriceTable | undefined> {
  const path = flag ?? pricesPath(env);
  return path === undefined ? undefined : loadPriceTable(path);
}
