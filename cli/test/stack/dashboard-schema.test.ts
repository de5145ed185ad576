import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARD_PATH } from '../../../test/otel/dashboard.js';

/**
 * Grafana is AGPL and is not built or run here. The dashboard is checked against Grafana's
 * published dashboard schema instead: `@grafana/schema` (Apache-2.0, pinned to the Grafana
 * version compose runs) ships it as TypeScript types generated from Grafana's CUE schema, so
 * the dashboard JSON is compiled as a `Dashboard` object literal: a wrong type, an unknown
 * enum value or a misspelt key (excess property) is a compile error.
 *
 * The generated types make every field that has a default in the CUE schema required (e.g. a
 * link's `asDropdown`), while Grafana fills those defaults in when it loads a dashboard; so the
 * check makes every field optional (DeepPartial) and tests the few that have no default
 * (panel type, title, gridPos; target refId) separately.
 */
const ROOT = resolve('.');

function schemaErrors(dashboardJson: string): string[] {
  // A virtual file in the repository root, so that '@grafana/schema' resolves from node_modules.
  const file = join(ROOT, '__grafana_dashboard_check__.ts');
  const text = [
    `import type { Dashboard } from '@grafana/schema';`,
    'type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;',
    `export const dashboard: DeepPartial<Dashboard> = ${dashboardJson};`,
  ].join('\n');
  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (name === file ? ts.createSourceFile(name, text, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n') + (d.file && d.start !== undefined ? ` (line ${d.file.getLineAndCharacterOfPosition(d.start).line})` : ''));
}

const dashboardText = readFileSync(DASHBOARD_PATH, 'utf8');
type Mutable = Record<string, unknown> & { panels: { gridPos: Record<string, unknown> }[]; templating: { list: { type: string }[] } };

describe("the Grafana dashboard against Grafana's published schema (@grafana/schema)", () => {
  it('is a valid Dashboard', () => {
    expect(schemaErrors(dashboardText)).toEqual([]);
  }, 60_000);

  it.each([
    ['a wrong type', (d: Mutable): void => void (d.panels[0]!.gridPos.h = 'tall'), /'string' is not assignable to type 'number'/],
    ['an unknown key', (d: Mutable): void => void (d.refreshEvery = '5s'), /refreshEvery/],
    ['an unknown enum value', (d: Mutable): void => void (d.templating.list[0]!.type = 'dropdown'), /"dropdown"/],
  ] as const)('the check rejects %s', (_what, mutate, message) => {
    const d = JSON.parse(dashboardText) as Mutable;
    mutate(d);
    expect(schemaErrors(JSON.stringify(d)).join('\n')).toMatch(message);
  }, 60_000);

  it('has the fields without a schema default: panel type, title and gridPos, target refId', () => {
    const dash = JSON.parse(dashboardText) as { panels: { type?: string; title?: string; gridPos?: unknown; targets?: { refId?: string }[] }[] };
    for (const p of dash.panels) {
      expect(p.type && p.title && p.gridPos, JSON.stringify(p).slice(0, 80)).toBeTruthy();
      for (const t of p.targets ?? []) expect(t.refId, p.title).toMatch(/^[A-Z]$/);
    }
  });

  it('uses only data sources the provisioning file defines, with the same type', () => {
    const prov = parse(readFileSync(join(ROOT, 'grafana/provisioning/datasources/datasources.yaml'), 'utf8')) as {
      datasources: { uid: string; type: string }[];
    };
    const types = new Map(prov.datasources.map((d) => [d.uid, d.type]));
    const dash = JSON.parse(dashboardText) as {
      panels: { title: string; datasource?: { uid: string; type: string }; targets?: { datasource?: { uid: string; type: string } }[] }[];
    };
    let checked = 0;
    for (const p of dash.panels) {
      for (const ds of [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]) {
        if (!ds) continue;
        expect(types.has(ds.uid), `${p.title}: data source uid ${ds.uid} is provisioned`).toBe(true);
        expect(types.get(ds.uid), `${p.title}: type of ${ds.uid}`).toBe(ds.type);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(dash.panels.length);
  });
});
