/**
 * What counts as a secret in event data: one rule for the library (sanitize.ts) and for what the
 * CLI prints or sends (cli/redact-output.ts). Documented in docs/reliability.md.
 *
 * Keys: a key whose name contains one of these (any case, anywhere in the name) has its value
 * replaced by "[REDACTED]" whatever the value, except the usage counts of NOT_SECRET_KEY.
 */
export const SECRET_KEY_NAMES = [
  'api[-_]?key',
  'token',
  'secret',
  'password',
  'passwd',
  'pwd',
  'passphrase',
  'authorization',
  'bearer',
  'cookie', // cookie, set-cookie
  'credential', // credential, credentials
  'private[-_]?key',
  'access[-_]?key',
] as const;

const SECRET_KEY_SOURCE = SECRET_KEY_NAMES.join('|');
const SECRET_KEY = new RegExp(SECRET_KEY_SOURCE, 'i');
/**
 * LLM usage counts and limits (`input_tokens`, `output_tokens`, `max_tokens`, `token_count`,
 * ...) look like secrets by name but are numbers, not credentials.
 */
const NOT_SECRET_KEY = /^(?:[a-z]+_)?(?:input|output|total|prompt|completion|cached|reasoning|audio|max)_tokens$|^tokens?[-_](?:count|type)$/i;

/** Whether a key's value is always hidden (uncached: sanitize.ts caches per distinct key). */
export function isSecretKeyName(key: string): boolean {
  return SECRET_KEY.test(key) && !NOT_SECRET_KEY.test(key);
}

/**
 * Values: a token in any string, whatever its key, is replaced by "[REDACTED]" (the rest of the
 * string is kept, so an error message stays readable). The prefixes are the providers'
 * documented token formats, as listed by secret scanners (GitHub secret scanning, gitleaks);
 * each needs a run of token characters after it, so words like "sk-" or "ask-me" do not match.
 */
export const SECRET_VALUE_PATTERNS: readonly { name: string; source: string }[] = [
  { name: 'HTTP Authorization value (Bearer / Basic / Token <credentials>)', source: '\\b(?:Bearer|Basic|Token)\\s+[A-Za-z0-9._~+/=-]{8,}' },
  { name: 'OpenAI / Anthropic / DeepSeek key (sk-, sk-proj-, sk-ant-)', source: 'sk-[A-Za-z0-9_-]{16,}' },
  { name: 'Stripe secret / restricted key (sk_live_, rk_test_, ...)', source: '[sr]k_(?:live|test)_[A-Za-z0-9]{16,}' },
  { name: 'Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxo-)', source: 'xox[abposr]-[A-Za-z0-9-]{10,}' },
  { name: 'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)', source: 'gh[pousr]_[A-Za-z0-9]{30,}' },
  { name: 'GitHub fine-grained token (github_pat_)', source: 'github_pat_[A-Za-z0-9_]{22,}' },
  { name: 'GitLab token (glpat-)', source: 'glpat-[A-Za-z0-9_-]{20,}' },
  { name: 'AWS access key id (AKIA, ASIA)', source: '(?:AKIA|ASIA)[A-Z0-9]{16}' },
  { name: 'Google API key (AIza)', source: 'AIza[A-Za-z0-9_-]{35}' },
  { name: 'Hugging Face token (hf_)', source: 'hf_[A-Za-z0-9]{30,}' },
  { name: 'npm token (npm_)', source: 'npm_[A-Za-z0-9]{36}' },
  { name: 'JSON Web Token (eyJ...eyJ...)', source: 'eyJ[A-Za-z0-9_-]{8,}\\.eyJ[A-Za-z0-9_-]{8,}\\.[A-Za-z0-9_-]*' },
];

/** A token starts at a word boundary: not in the middle of a word or another token. */
const SECRET_VALUE_SOURCE = `(?<![A-Za-z0-9_-])(?:${SECRET_VALUE_PATTERNS.map((p) => p.source).join('|')})`;
export const SECRET_VALUE = new RegExp(SECRET_VALUE_SOURCE);
const SECRET_VALUE_ALL = new RegExp(SECRET_VALUE_SOURCE, 'g');

/**
 * A literal every token above contains (no look-behind, no classes): the first check on a
 * string, ~35% cheaper than the full pattern on ordinary text (docs/reliability.md).
 * test/reliability/secret-rules.test.ts checks that each pattern's sample token contains one.
 */
const SECRET_VALUE_HINT = /Bearer|Basic|Token|sk-|k_live_|k_test_|xox|gh[pousr]_|github_pat_|glpat-|AKIA|ASIA|AIza|hf_|npm_|eyJ/;

/** The shortest string any value pattern can match (`Basic ` + 8): shorter strings are not scanned. */
export const MIN_SECRET_VALUE_LENGTH = 14;

/** `text` with every token in it replaced by "[REDACTED]"; the same string when it has none. */
export function scrubSecretValues(text: string): string {
  if (text.length < MIN_SECRET_VALUE_LENGTH || !SECRET_VALUE_HINT.test(text)) return text;
  // Again until nothing changes: a token glued to the end of another (`AKIA...EBearer x`) only
  // starts at a boundary once the one before it is replaced. Each pass makes the text shorter
  // (a token is longer than the marker), and callers pass at most ~8 KiB.
  let out = text;
  for (;;) {
    const next = out.replace(SECRET_VALUE_ALL, '[REDACTED]');
    if (next === out) return out;
    out = next;
  }
}

/** A JSON key (quoted, before a colon) that looks like a secret: the same names as SECRET_KEY. */
const SECRET_KEY_IN_JSON = new RegExp(`"[^"]*(?:${SECRET_KEY_SOURCE})[^"]*"\\s*:`, 'i');

/**
 * A `\u` escape of a printable ASCII character (`\u005f` for `_`). Writers escape only control
 * characters and, like Python's default, non-ASCII ones (`\u00e9`); escaping `_` or `-` only
 * hides a key or token from a text match (`"api\u005fkey"`).
 */
const ESCAPED_ASCII = /\\u00[2-7][0-9a-fA-F]/;

/**
 * Whether a JSON text (a whole log line) may hold something the sanitizer would change in mode
 * `none`: a secret-looking key, a token value, or an escaped ASCII character that could spell
 * either (keys and values are then matched only after decoding). False means the text can be
 * printed as it is.
 */
export function jsonMayHoldSecret(text: string): boolean {
  return SECRET_KEY_IN_JSON.test(text) || SECRET_VALUE.test(text) || ESCAPED_ASCII.test(text);
}
