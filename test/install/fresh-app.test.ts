import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/harness.js';

/**
 * The library as a new user gets it (#15): the root package packed with `npm pack` and installed
 * into fresh temporary apps, as `npm install voicemode-events @opentelemetry/api@X` would.
 * Packages come from the local npm cache: offline in CI (.ci/run puts both API versions in the
 * cache first), preferring the cache elsewhere. Runs on both CI legs: on Node 20 the SDK test
 * installs the 2.x line, on Node 22 (the copy with the 3.x line installed) the 3.x line.
 */
const root = resolve('.');
const inCi = process.env.CI === 'true';
/** What the CLI package brings and an app that adds the library must not get. */
const CLI_ONLY = ['chart.js', 'commander', 'cli-table3', 'cli-progress', 'd3-array', 'yaml'];

interface Run {
  status: number | null;
  out: string;
}

/** npm as a user runs it: no npm_* variables inherited from the `npm test` that runs us. */
function run(cmd: string, args: string[], cwd: string): Run {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const r = spawnSync(cmd, args, { cwd, env: { ...env, npm_config_update_notifier: 'false' }, encoding: 'utf8', timeout: 110_000 });
  return { status: r.status, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function install(app: string, specs: string[]): Run {
  return run('npm', ['install', inCi ? '--offline' : '--prefer-offline', '--no-audit', '--no-fund', ...specs], app);
}

function freshApp(): string {
  const app = tempDir('vme-fresh-app-');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'fresh-app', version: '1.0.0', private: true, type: 'module' }));
  return app;
}

/** Every package in the app's node_modules, nested ones included. */
function installedPackages(dir: string, out = new Set<string>()): Set<string> {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return out;
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const names = entry.startsWith('@') ? readdirSync(join(modules, entry)).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      out.add(name);
      installedPackages(join(modules, name), out);
    }
  }
  return out;
}

function versionIn(dir: string, name: string): string {
  return (JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
}

function expectCleanInstall(app: string, r: Run): Set<string> {
  expect(r.status, r.out).toBe(0);
  expect(r.out, 'no peer conflict, not even one npm overrides with a warning').not.toMatch(/ERESOLVE|invalid/i);
  const ls = run('npm', ['ls', '--all'], app);
  expect(ls.status, `npm ls accepts the tree:\n${ls.out}`).toBe(0);
  const names = installedPackages(app);
  for (const cli of CLI_ONLY) expect(names.has(cli), `${cli} came with the library`).toBe(false);
  return names;
}

let tarball: string;
beforeAll(() => {
  expect(existsSync(join(root, 'dist/sdk/index.js')), 'the library is built (npm test builds it first)').toBe(true);
  const dest = tempDir('vme-pack-');
  // scripts ignored: a prepack build would rewrite dist under the tests that are reading it
  const r = run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest], root);
  expect(r.status, r.out).toBe(0);
  const [packed] = JSON.parse(r.out.slice(r.out.indexOf('['))) as { filename: string }[];
  tarball = join(dest, packed!.filename);
});

describe('a fresh app installs the packed library', { tags: ['install'] }, () => {
  for (const api of ['1.10.0', '1.9.0']) {
    it(`next to @opentelemetry/api@${api}: only the API comes along, and the instrumentation runs on it`, () => {
      const app = freshApp();
      const names = expectCleanInstall(app, install(app, [`@opentelemetry/api@${api}`, tarball]));
      expect([...names].sort()).toEqual(['@opentelemetry/api', 'voicemode-events']);
      expect(versionIn(app, '@opentelemetry/api')).toBe(api);
      // no SDK registered: the API's no-op tracer; a whole session must run without throwing
      writeFileSync(
        join(app, 'main.mjs'),
        `import { createVoiceEvents } from 'voicemode-events';
const voice = createVoiceEvents();
const r = await voice.session(async (s) => s.tts({ text: 'hi' }, async (op) => { op.firstAudio(); return 'ok'; }));
console.log(JSON.stringify({ r }));`,
      );
      const main = run(process.execPath, ['main.mjs'], app);
      expect(main.status, main.out).toBe(0);
      expect(main.out.trim()).toBe('{"r":"ok"}');
    });
  }

  it('with the SDK line this checkout runs (2.x on Node 20, 3.x on Node >= 22.15): startTelemetry writes the JSONL file', () => {
    // the SDK packages are the library's optional peers; the versions are the ones installed here
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
    const sdk = Object.keys(pkg.peerDependencies).filter((n) => n.startsWith('@opentelemetry/'));
    expect(sdk).toContain('@opentelemetry/sdk-trace');
    const specs = sdk.map((n) => `${n}@${versionIn(root, n)}`);
    const app = freshApp();
    expectCleanInstall(app, install(app, [...specs, tarball]));
    const logs = tempDir('vme-fresh-logs-');
    writeFileSync(
      join(app, 'main.mjs'),
      `import { readdirSync, readFileSync } from 'node:fs';
import { startTelemetry } from 'voicemode-events/sdk';
const dir = process.argv[2];
const t = startTelemetry({ dir, otlp: false, metrics: false, handleExit: false });
await t.voice.session(async (s) => s.tts({ text: 'hi' }, async (op) => { op.firstAudio(); }));
await t.shutdown();
const lines = readdirSync(dir).flatMap((f) => readFileSync(dir + '/' + f, 'utf8').trim().split('\\n'));
console.log(JSON.stringify(lines.map((l) => JSON.parse(l).event_type)));`,
    );
    const main = run(process.execPath, ['main.mjs', logs], app);
    expect(main.status, main.out).toBe(0);
    const types = JSON.parse(main.out.trim()) as string[];
    expect(types[0]).toBe('SESSION_START');
    expect(types).toContain('TTS_FIRST_AUDIO');
    expect(types.at(-1)).toBe('SESSION_END');
    for (const name of sdk) expect(versionIn(app, name), name).toBe(versionIn(root, name));
  });
});
