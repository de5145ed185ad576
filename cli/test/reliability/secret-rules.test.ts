import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { outputRedactor } from '../../src/redact-output.js';
import { DATA_LIMITS, prepareData } from '../../../src/events/sanitize.js';
import { jsonMayHoldSecret, SECRET_VALUE_PATTERNS } from '../../../src/events/secret-rules.js';
import { cli } from '../commands/run.js';
import { makeHarness, tempDir, type Harness } from '../../../test/helpers/harness.js';

/** Issue #16, item 4: secret key names and token values, one rule for the library and the CLI. */
const SECRET_KEYS = [
  'api_key', 'apiKey', 'x-api-key', 'token', 'session_token', 'refresh_token', 'secret', 'client_secret', 'password',
  'passwd', 'pwd', 'passphrase', 'authorization', 'Authorization', 'bearer', 'cookie', 'set-cookie', 'Set-Cookie',
  'credentials', 'credential', 'private_key', 'privateKey', 'access_key', 'aws_secret_access_key', 'tokens', 'refresh_tokens',
];
const ORDINARY_KEYS = ['input_tokens', 'output_tokens', 'prompt_tokens', 'max_tokens', 'token_count', 'token_type', 'provider', 'session_id', 'text', 'message', 'keyword'];

/** One fake token per documented pattern (none of them real). */
const TOKENS: Record<string, string> = {
  'HTTP Authorization value (Bearer / Basic / Token <credentials>)': 'Bearer abcDEF123._~+/=-xyz',
  'OpenAI / Anthropic / DeepSeek key (sk-, sk-proj-, sk-ant-)': 'sk-proj-AbCdEfGhIjKlMnOpQrSt1234',
  'Stripe secret / restricted key (sk_live_, rk_test_, ...)': 'rk_test_AbCdEfGhIjKlMnOpQrSt',
  'Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxo-)': 'xoxb-1234567890-abcdefABCDEF',
  'GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)': 'ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  'GitHub fine-grained token (github_pat_)': 'github_pat_11ABCDEFG0123456789_abcdefghijklmnop',
  'GitLab token (glpat-)': 'glpat-AbCdEfGhIjKlMnOpQrSt',
  'AWS access key id (AKIA, ASIA)': 'AKIAIOSFODNN7EXAMPLE',
  'Google API key (AIza)': 'AIzaSyA-abcdefghijklmnopqrstuvwxyz01234',
  'Hugging Face token (hf_)': 'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234',
  'npm token (npm_)': 'npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  'JSON Web Token (eyJ...eyJ...)': 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig-nature_1',
};
const NEAR_MISSES = [
  'ask-me-anything-you-like-today',
  'sk-short',
  'task-AbCdEfGhIjKlMnOpQrSt1234',
  'the Bearer of bad news',
  'Basic  idea',
  'akiaiosfodnn7example',
  'ghp_short',
  'github_pat_',
  'a plain sentence that is long enough to be scanned',
];

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.cleanup();
});

describe('secret key names', () => {
  it.each(SECRET_KEYS)('%s: value redacted at top level and nested, whatever the value', (key) => {
    expect(prepareData({ [key]: 'v', n: { [key]: 42 } })).toEqual({ [key]: '[REDACTED]', n: { [key]: '[REDACTED]' } });
  });
  it.each(ORDINARY_KEYS)('%s: not a secret (usage counts, spec fields, text)', (key) => {
    expect(prepareData({ [key]: 'v' })).toEqual({ [key]: 'v' });
  });
});

describe('token values, whatever their key', () => {
  it('every documented pattern has a test token', () => {
    expect(Object.keys(TOKENS).sort()).toEqual(SECRET_VALUE_PATTERNS.map((p) => p.name).sort());
  });
  it.each(Object.entries(TOKENS))('%s', (_name, token) => {
    const out = prepareData({ error_message: `call failed: ${token} (retry)`, nested: [{ note: token }], provider: token });
    expect(out).toEqual({ error_message: 'call failed: [REDACTED] (retry)', nested: [{ note: '[REDACTED]' }], provider: '[REDACTED]' });
    expect(jsonMayHoldSecret(JSON.stringify({ data: { note: token } }))).toBe(true);
  });
  it.each(NEAR_MISSES)('near miss kept: %s', (text) => {
    expect(prepareData({ note: text })).toEqual({ note: text });
    expect(jsonMayHoldSecret(JSON.stringify({ data: { note: text } }))).toBe(false);
  });
  it('a token across the length limit is not half kept', () => {
    const token = TOKENS['GitHub token (ghp_, gho_, ghu_, ghs_, ghr_)']!;
    const s = 'x'.repeat(DATA_LIMITS.maxStringLength - 10) + ' ' + token + 'y'.repeat(50_000);
    const out = prepareData({ note: s }).note as string;
    expect(out).not.toContain('ghp_');
    expect(out).not.toContain(token.slice(4, 14));
    expect(out).toMatch(/…\[truncated \d+ chars\]$/);
  });
});

describe('the same rule in the file and in what the CLI prints', () => {
  it('library: a token in an error message is redacted in the JSONL line', async () => {
    const h = makeHarness();
    harnesses.push(h);
    h.voice.logEvent('TTS_ERROR', { error_message: `401 with ${TOKENS['OpenAI / Anthropic / DeepSeek key (sk-, sk-proj-, sk-ant-)']}`, cookie: 'sid=1' });
    await h.flush();
    expect(h.lines()[0]!.data).toEqual({ error_message: '401 with [REDACTED]', cookie: '[REDACTED]' });
  });

  it('CLI: query of an old log hides new key names and token values (no second copy of the rule)', async () => {
    const file = join(tempDir(), 'voicemode_events_2025-06-23.jsonl');
    const lines = [
      { timestamp: '2025-06-23T15:30:45+00:00', event_type: 'TOOL_REQUEST_START', session_id: 's', data: { 'set-cookie': 'a=b', credentials: 'c' } },
      ...Object.values(TOKENS).map((t, i) => ({ timestamp: `2025-06-23T15:30:4${i % 10}+00:00`, event_type: 'X', session_id: 's', data: { note: `see ${t}` } })),
    ];
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const r = await cli(['query', file], { VOICEMODE_EVENT_LOG_REDACT: '' });
    expect(r.code).toBe(0);
    for (const t of Object.values(TOKENS)) expect(r.stdout).not.toContain(t);
    expect(r.stdout).not.toContain('a=b');
    expect(r.stdout.match(/see \[REDACTED\]/g)).toHaveLength(Object.keys(TOKENS).length);
    expect(outputRedactor({}).line(JSON.stringify(lines[1]))).toContain('see [REDACTED]');
  });
});

describe('property: after scrubbing, the full pattern finds nothing (the cheap first check misses no token)', () => {
  it('random text mixed with token fragments and whole tokens', async () => {
    const fc = (await import('fast-check')).default;
    const { SECRET_VALUE, scrubSecretValues } = await import('../../../src/events/secret-rules.js');
    const piece = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom(...Object.values(TOKENS), ' ', '-', '_', 'Bearer ', 'sk-', 'AKIA', 'eyJ', '.', 'x'.repeat(40), 'ABCDEFGHIJKLMNOP0123'),
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const out = scrubSecretValues(parts.join(''));
        expect(SECRET_VALUE.test(out), out).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('tokens glued together', () => {
  it('a chain of 50 glued keys is fully replaced, in bounded time', async () => {
    const { scrubSecretValues } = await import('../../../src/events/secret-rules.js');
    const chain = Array.from({ length: 50 }, (_, i) => `AKIA${String(i).padStart(16, 'Q')}`).join('') + 'Bearer abcdefghijkl';
    const t0 = performance.now();
    const out = scrubSecretValues(chain);
    expect(out).not.toMatch(/AKIA|abcdefghijkl/);
    expect(performance.now() - t0).toBeLessThan(200);
  });
});
