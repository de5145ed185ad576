import type { HrTime } from '@opentelemetry/api';

/**
 * Conversions between epoch microseconds, OTel HrTime and the spec's timestamp text
 * `YYYY-MM-DDTHH:MM:SS.ffffffZ` (always six digits, always UTC with Z).
 */

let cachedSecond = Number.NaN;
let cachedPrefix = '';

/** Epoch microseconds to `YYYY-MM-DDTHH:MM:SS.ffffffZ`. Hot path: the second prefix is cached. */
export function formatTimestampUs(us: number): string {
  const sec = Math.floor(us / 1e6);
  if (sec !== cachedSecond) {
    cachedSecond = sec;
    cachedPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  const frac = us - sec * 1e6;
  return `${cachedPrefix}.${String(frac).padStart(6, '0')}Z`;
}

/** Epoch microseconds to OTel HrTime [seconds, nanoseconds]. */
export function usToHrTime(us: number): HrTime {
  const sec = Math.floor(us / 1e6);
  return [sec, (us - sec * 1e6) * 1000];
}

/**
 * HrTime to epoch microseconds. Arithmetic stays in safe integers (seconds * 1e6 + ns/1000):
 * hrTimeToNanoseconds would pass 2^53 and lose precision (GUIDE §3).
 */
export function hrTimeToUs(t: HrTime): number {
  return t[0] * 1e6 + Math.round(t[1] / 1000);
}

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * Parses the timestamps found in real logs to epoch microseconds: ours (`...ffffffZ`), Python's
 * `isoformat()` (`+00:00`, any offset, no fraction when microseconds are 0), and fractions of
 * any length (truncated to microseconds). A time without an offset is read as UTC.
 * Returns NaN for anything else.
 */
export function parseTimestampUs(text: string): number {
  const m = ISO.exec(text);
  if (!m) return Number.NaN;
  const [, y, mo, d, h, mi, s, frac, tz] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s ?? 0) > 59) {
    return Number.NaN;
  }
  const baseMs = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (Number.isNaN(baseMs)) return Number.NaN;
  const micros = frac ? Number((frac + '00000').slice(0, 6)) : 0;
  let offsetMin = 0;
  if (tz && tz.toUpperCase() !== 'Z') {
    const sign = tz[0] === '-' ? -1 : 1;
    const digits = tz.slice(1).replace(':', '');
    offsetMin = sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
  }
  return (baseMs - offsetMin * 60_000) * 1000 + micros;
}

/**
 * The timestamp forms a log line may carry, with the epoch microseconds each example means:
 * the one definition the three parsers follow. `parseTimestampUs` (above) reads all of them;
 * the reader's fast paths (`cli/src/reader/parse-line.ts` on text, `cli/src/reader/scan-line.ts`
 * on bytes) read the common ones directly and hand everything else to it.
 * cli/test/reader/timestamp-forms.test.ts runs every row, and every rejected text, through all
 * three (and fast-check timestamps through the fast paths against this parser).
 */
export const TIMESTAMP_FORMS: readonly { form: string; example: string; us: number }[] = [
  { form: 'ours: six fraction digits, Z', example: '2026-01-05T09:00:00.003405Z', us: 1767603600003405 },
  { form: 'Python isoformat(), UTC offset', example: '2025-06-23T15:30:45.123456+00:00', us: 1750692645123456 },
  { form: 'Python isoformat(), no fraction when microseconds are 0', example: '2025-06-23T15:30:45+00:00', us: 1750692645000000 },
  { form: 'any offset', example: '2025-06-23T15:30:45.5-05:30', us: 1750712445500000 },
  { form: 'offset without colon', example: '2025-06-23T17:30:45+0200', us: 1750692645000000 },
  { form: 'fraction of 1 to 5 digits', example: '2025-06-23T15:30:45.12Z', us: 1750692645120000 },
  { form: 'fraction over 6 digits (truncated to µs)', example: '2025-06-23T15:30:45.123456789Z', us: 1750692645123456 },
  { form: 'comma before the fraction', example: '2025-06-23T15:30:45,25Z', us: 1750692645250000 },
  { form: 'lowercase z', example: '2025-06-23T15:30:45.000001z', us: 1750692645000001 },
  { form: 'lowercase t', example: '2025-06-23t15:30:45Z', us: 1750692645000000 },
  { form: 'space instead of T', example: '2025-06-23 15:30:45.25Z', us: 1750692645250000 },
  { form: 'no offset: read as UTC', example: '2025-06-23T15:30:45.25', us: 1750692645250000 },
  { form: 'minutes only', example: '2025-06-23T15:30Z', us: 1750692600000000 },
];

/** Texts no parser accepts (the line is then malformed and counted, never guessed). */
export const REJECTED_TIMESTAMPS: readonly string[] = [
  '',
  'yesterday',
  '2025-13-23T15:30:45Z',
  '2025-06-23T24:30:45Z',
  '2025-06-23T15:60:45Z',
  '2025-06-23T15:30:60Z',
  '2025-06-23T15:30:45.Z',
  '2025-6-23T15:30:45Z',
  '2025-06-23T15:30:45+5',
  '2025-06-23T15:30:45Zjunk',
  '1750692645',
];
