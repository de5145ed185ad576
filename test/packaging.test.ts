import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';

interface PackResult {
  files: { path: string }[];
  unpackedSize: number;
}

/** What `npm pack` would ship (the build ran before the tests: scripts are skipped here). */
function packed(dir: string): PackResult {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out)[0] as PackResult;
}

// The bounds catch what should not ship (a bench file, tests, a node_modules: megabytes each),
// with room for the code to grow: the CLI's dist, sources and maps were 1.22 MB unpacked at
// round 4 of issue 14 (the stage-1 scanner, the radix sort), over the first bound of 1.2 MB.
const PACKAGES = [
  { dir: '.', name: 'voicemode-events', main: ['dist/index.js', 'dist/index.d.ts', 'dist/sdk/index.js', 'dist/metrics/index.d.ts'], maxBytes: 1_200_000 },
  { dir: 'cli', name: 'voicemode-events-cli', main: ['bin/voicemode-events.js', 'dist/main.js', 'dist/reader/parse-worker.js', 'dist/reader/special-bytes.wasm', 'dist/reader/scan-line.wasm'], maxBytes: 1_500_000 },
];

describe('what npm pack ships (#15)', () => {
  it.each(PACKAGES)('$name: dist, types, README, LICENSE; no tests, bench or maps without sources', ({ dir, main, maxBytes }) => {
    const { files, unpackedSize } = packed(dir);
    const paths = new Set(files.map((f) => f.path));
    for (const need of ['package.json', 'README.md', 'LICENSE', ...main]) expect(paths, need).toContain(need);
    const stray = [...paths].filter((p) => !/^(dist|src|bin)\//.test(p) && !['package.json', 'README.md', 'LICENSE'].includes(p));
    expect(stray).toEqual([]);
    expect([...paths].filter((p) => /(^|\/)(test|bench|node_modules)\/|\.test\.|\.tsbuildinfo$/.test(p))).toEqual([]);
    // every source map points at sources that ship too
    const maps = [...paths].filter((p) => p.endsWith('.map'));
    expect(maps.length).toBeGreaterThan(0);
    for (const map of maps) {
      const { sources } = JSON.parse(readFileSync(join(dir, map), 'utf8')) as { sources: string[] };
      for (const src of sources) expect(paths, `${map} -> ${src}`).toContain(normalize(join(dirname(map), src)));
    }
    expect(unpackedSize).toBeLessThan(maxBytes);
    expect(readFileSync(join(dir, 'LICENSE'), 'utf8')).toBe(readFileSync('LICENSE', 'utf8'));
  });

  it('package.json fields a registry page and a bug report need; the CLI depends on the library by version', () => {
    const root = JSON.parse(readFileSync('package.json', 'utf8'));
    const cli = JSON.parse(readFileSync('cli/package.json', 'utf8'));
    for (const p of [root, cli]) {
      expect(p.license).toBe('MIT');
      expect(p.repository.url).toMatch(/^git\+https:\/\//);
      expect(p.homepage).toMatch(/^https:\/\//);
      expect(p.bugs.url).toMatch(/^https:\/\//);
      expect(p.scripts.prepack).toBeTruthy();
    }
    expect(cli.dependencies['voicemode-events']).toBe(`^${root.version}`);
    expect(cli.bin).toEqual({ 'voicemode-events': './bin/voicemode-events.js' });
    expect(root.bin).toBeUndefined();
    // the library has no runtime dependency of its own: @opentelemetry/api is a peer, the SDK
    // packages of the wiring are optional peers (the app picks its SDK line: README, "In your app")
    expect(root.dependencies ?? {}).toEqual({});
    const peers = Object.keys(root.peerDependencies as Record<string, string>);
    expect(peers.filter((d) => !d.startsWith('@opentelemetry/'))).toEqual([]);
    expect(peers).toContain('@opentelemetry/api');
    expect(root.peerDependenciesMeta?.['@opentelemetry/api']).toBeUndefined();
    expect(peers.filter((d) => d !== '@opentelemetry/api' && root.peerDependenciesMeta?.[d]?.optional !== true)).toEqual([]);
    // npm users get no docs/ folder: README links are absolute
    const relative = [...readFileSync('README.md', 'utf8').matchAll(/\]\((?!https?:\/\/|#)([^)]+)\)/g)].map((m) => m[1]);
    expect(relative).toEqual([]);
  });

  it('in this checkout `npx voicemode-events` runs the CLI (its bin is a committed file, linked at install)', () => {
    const cli = JSON.parse(readFileSync('cli/package.json', 'utf8'));
    const out = execFileSync(join('node_modules', '.bin', 'voicemode-events'), ['--version'], { encoding: 'utf8' });
    expect(out.trim()).toBe(cli.version);
  });
});
