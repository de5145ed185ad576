import type { CostJson, UsageJson, UsageStage } from './analysis/usage.js';
import { makeTable } from './format.js';
import { escapeControl } from './terminal-text.js';

/**
 * Usage and cost as `summary` prints them (the JSON is analysis/usage.ts's as it is). Provider
 * and model names come from the logs: they go into tables (escaped cells) or through escapeControl.
 */
export const STAGES: readonly UsageStage[] = ['tts', 'stt', 'llm'];

const int = (n: unknown): string => Math.round(Number(n)).toLocaleString('en-US');

/** One stage's usage figures in words. */
export function figures(stage: UsageStage, row: Record<string, unknown>): string {
  if (stage === 'tts') return `${int(row.characters)} characters`;
  if (stage === 'stt') return `${Number(row.audio_s).toFixed(1)} s of audio`;
  return `${int(row.input_tokens)} input + ${int(row.output_tokens)} output tokens`;
}

/** A cost with enough digits for a cent fraction (costs per session are often below a cent). */
export function money(v: number | null | undefined, currency: string): string {
  if (v === null || v === undefined) return '-';
  return `${v.toFixed(v !== 0 && Math.abs(v) < 1 ? 4 : 2)} ${currency}`;
}

/** The usage line, or '' when the logs carry no usage figures at all. */
export function usageText(u: UsageJson): string {
  const parts: string[] = [];
  const missing: string[] = [];
  for (const stage of STAGES) {
    const e = u[stage];
    if (e.operations > 0) parts.push(`${stage.toUpperCase()} ${figures(stage, e)} (${e.operations})`);
    if (e.without_usage > 0) missing.push(`${stage.toUpperCase()} ${e.without_usage}`);
  }
  if (parts.length === 0 && missing.length === 0) return '';
  let line = `Usage: ${parts.length ? parts.join('   ') : 'none logged'}`;
  if (missing.length) line += `   (events without usage figures: ${missing.join(', ')})`;
  return line;
}

/** Sessions whose cost is unknown and so not in the per-session figures, said in words ('' for none). */
export function sessionsLeftOut(c: CostJson): string {
  const parts: string[] = [];
  if (c.sessions_with_unpriced > 0) parts.push(`${c.sessions_with_unpriced} session(s) with unpriced usage`);
  if (c.sessions_without_figures > 0) parts.push(`${c.sessions_without_figures} with an operation that logged no usage figure`);
  return parts.length === 0 ? '' : `${parts.join(' and ')} left out`;
}

/** Cost per session, per stage, per model; unpriced models listed. */
export function costText(c: CostJson, u: UsageJson): string {
  const cur = c.currency;
  const lines: string[] = [];
  if (c.models.length === 0 && c.unpriced.length === 0) {
    return `Cost: no usage figures in these logs, nothing to price (prices of ${c.prices_date} from ${escapeControl(c.prices)})`;
  }
  lines.push(`Cost in ${cur}, prices of ${c.prices_date} from ${escapeControl(c.prices)} (prices change: keep the table current):`);
  const p = c.per_session;
  lines.push(
    `  total ${money(c.total, cur)}${c.complete ? '' : c.unpriced.length > 0 ? ' for the priced usage only' : ' for the operations that logged usage'}   ` +
      `by stage: ${STAGES.map((s) => `${s} ${money(c.by_stage[s], cur)}`).join(', ')}`,
  );
  const leftOut = sessionsLeftOut(c);
  lines.push(
    p.count > 0
      ? `  per session (${p.count}): mean ${money(p.mean, cur)}, p95 ${money(p.p95, cur)}, total ${money(p.total, cur)}` + (leftOut ? `; ${leftOut}` : '')
      : leftOut
        ? `  per session: no session with a known cost (${leftOut})`
        : '  per session: no session logged usage',
  );
  const t = makeTable(['stage', 'provider', 'model', 'usage', 'cost']);
  for (const stage of STAGES) {
    for (const row of u[stage].models) {
      const priced = c.models.find((m) => m.stage === stage && m.provider === row.provider && m.model === row.model);
      t.push([stage, String(row.provider ?? '-'), String(row.model ?? '-'), figures(stage, row), priced ? money(priced.cost, cur) : 'unpriced']);
    }
  }
  lines.push(t.toString());
  if (c.unpriced.length > 0) lines.push(`Unpriced (no price in the table; not counted as free): ${c.unpriced.length} provider/model(s) above`);
  return lines.join('\n');
}
