import type { WhereCondition } from '../analysis/filter.js';

/**
 * A test on a line's text, before it is parsed, that is false only when the line cannot match
 * the command's filter (issue 14 item 4: `timeline --session`, `query --type/--session/--where`
 * within a small factor of `grep -F`). Lines it rejects are not looked at (candidate-lines.ts):
 * neither parsed nor counted as events or malformed lines (`ReadStats.prefiltered`).
 *
 * Why it is exact: in a JSON line without a backslash, every string is written as its own
 * characters between quotes. So if a field's decoded value is the string S, the line's text
 * holds `"S"` (JSON.stringify(S)); and if an event type matches a glob, the line holds the
 * glob's longest literal run. A line with any backslash may spell a string with escapes
 * (`"conv\u005f1"`): it is always parsed. Each needle is a necessary condition, never a
 * sufficient one: what passes is parsed and filtered as before.
 *
 * `--where` values that a number, boolean, null or JSON object could print as (`2`, `1e3`,
 * `true`, `null`, `{...}`) are not turned into needles: a number's text in the line need not be
 * the text it compares as (`2.0` compares as `2`).
 */
export interface PrefilterSpec {
  session?: string | undefined;
  /** The `--type` glob (`*`, `?`, comma-separated alternatives). */
  typeGlob?: string | undefined;
  where?: readonly WhereCondition[] | undefined;
}

/** The longest run of literal characters of each alternative; undefined when some alternative has none (`*`). */
function globNeedles(glob: string): string[] | undefined {
  const out: string[] = [];
  for (const alt of glob.split(',').map((g) => g.trim()).filter((g) => g !== '')) {
    if (!/[*?]/.test(alt)) {
      out.push(JSON.stringify(alt));
      continue;
    }
    let best = '';
    for (const run of alt.split(/[*?]+/)) if (run.length > best.length) best = run;
    if (best === '') return undefined;
    out.push(best);
  }
  return out.length > 0 ? out : undefined;
}

const NON_STRING_TEXT = new Set(['true', 'false', 'null', 'NaN', 'Infinity', '-Infinity']);

/** True when a non-string JSON value could print as `text` in matchesWhere. */
function couldBeNonString(text: string): boolean {
  const t = text.trim();
  if (t === '' || NON_STRING_TEXT.has(t) || t.startsWith('{') || t.startsWith('[')) return true;
  return !Number.isNaN(Number(t));
}

/**
 * The needles of a filter: every group must have one of its needles in the line, or the line
 * has a backslash. `anchors` are the bytes worth searching a chunk for (the backslash and the
 * needles of one group): a line holding none of them cannot match, whatever else it holds.
 */
export class LinePrefilter {
  readonly anchors: Buffer[];

  constructor(private readonly groups: readonly (readonly string[])[]) {
    // search for the group with the longest needles: long needles are found fastest and are the rarest
    const shortest = (g: readonly string[]): number => Math.min(...g.map((n) => n.length));
    const best = [...groups].sort((a, b) => shortest(b) - shortest(a))[0]!;
    this.anchors = [Buffer.from('\\'), ...best.map((n) => Buffer.from(n, 'utf8'))];
  }

  /** The whole test, on a decoded line. */
  matches(line: string): boolean {
    if (line.includes('\\')) return true;
    for (const g of this.groups) if (!g.some((n) => line.includes(n))) return false;
    return true;
  }
}

/** The prefilter for a filter, or undefined when nothing in it can be checked on the text. */
export function linePrefilter(spec: PrefilterSpec): LinePrefilter | undefined {
  const groups: string[][] = [];
  if (spec.session !== undefined) groups.push([JSON.stringify(spec.session)]);
  if (spec.typeGlob !== undefined) {
    const needles = globNeedles(spec.typeGlob);
    if (needles) groups.push(needles);
  }
  for (const c of spec.where ?? []) {
    if (c.op === '=' && !couldBeNonString(c.value)) groups.push([JSON.stringify(c.value)]);
  }
  // U+FFFD in a decoded line may stand for any invalid byte: its bytes need not be in the file
  const usable = groups.filter((g) => !g.some((n) => n.includes('\uFFFD')));
  return usable.length === 0 ? undefined : new LinePrefilter(usable);
}
