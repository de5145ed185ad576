import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HISTOGRAMS } from '../helpers/lib.js';
import { GEN_AI_DURATION, GEN_AI_TOKEN_USAGE, SEGMENT_HISTOGRAM } from '../../src/metrics/otel-instruments.js';
import { DASHBOARD_PATH, dashboardQueries } from './dashboard.js';

/**
 * There is no Docker engine on these machines, so the compose files are checked by reading them:
 * every file parses, every image is pinned to the version test/stack runs natively
 * (scripts/stack/versions.sh), every host port is loopback only, every collector pipeline names
 * components that are defined, the builder manifest lists exactly the modules of those
 * components, and every component type is one the pinned contrib image ships.
 */
const root = resolve('.');
const read = (p: string) => readFileSync(join(root, p), 'utf8');

/** scripts/stack/versions.sh (plain VAR=value lines). */
const VERSIONS = Object.fromEntries(
  read('scripts/stack/versions.sh')
    .split('\n')
    .filter((l) => /^[A-Z_]+=/.test(l))
    .map((l) => l.split('=') as [string, string]),
);

/** The collector's `${env:VAR:-default}` expansion with no variable set: what compose runs. */
const composeValue = (v: string) => v.replace(/\$\{env:[A-Z_]+:-([^}]*)\}/g, '$1');

/**
 * Component types of otel/opentelemetry-collector-contrib 0.148.0 that a config like ours may
 * use (a subset of the distribution's manifest, distributions/otelcol-contrib/manifest.yaml in
 * open-telemetry/opentelemetry-collector-releases). Since 0.144 the OTLP exporters are named
 * otlp_grpc / otlp_http; `otlp` / `otlphttp` remain as deprecated aliases.
 */
const CONTRIB_0_148: Record<string, readonly string[]> = {
  receivers: ['otlp', 'prometheus', 'jaeger', 'zipkin', 'hostmetrics', 'filelog', 'nop', 'otlpjsonfile', 'kafka'],
  processors: [
    'batch', 'memory_limiter', 'attributes', 'resource', 'resourcedetection', 'filter', 'transform',
    'probabilistic_sampler', 'tail_sampling', 'span', 'metricstransform', 'cumulativetodelta', 'deltatocumulative', 'groupbyattrs',
  ],
  exporters: [
    'otlp_grpc', 'otlp_http', 'otlp', 'otlphttp', 'debug', 'nop', 'prometheus', 'prometheusremotewrite', 'file', 'zipkin', 'kafka',
    'loadbalancing',
  ],
  extensions: ['health_check', 'pprof', 'zpages', 'basicauth', 'bearertokenauth', 'headers_setter', 'file_storage', 'oauth2client'],
  connectors: ['forward', 'spanmetrics', 'count', 'routing', 'servicegraph'],
};
/** Exporter names deprecated since 0.144 (the `otlp` receiver keeps its name). */
const DEPRECATED_ALIASES = ['otlp', 'otlphttp'];

const typeOf = (id: string) => id.split('/')[0]!;

describe('docker-compose.yml', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, { image: string; ports?: string[]; volumes?: string[]; environment?: Record<string, string> }>;
  };

  it('has the four services with images pinned to exact versions', () => {
    const images = Object.fromEntries(Object.entries(compose.services).map(([k, v]) => [k, v.image]));
    expect(Object.keys(images).sort()).toEqual(['grafana', 'jaeger', 'otel-collector', 'prometheus']);
    expect(images['otel-collector']).toMatch(/^otel\/opentelemetry-collector-contrib:\d+\.\d+\.\d+$/);
    expect(images.jaeger).toMatch(/^jaegertracing\/jaeger:2\.\d+\.\d+$/);
    expect(images.prometheus).toMatch(/^prom\/prometheus:v3\.\d+\.\d+$/);
    expect(images.grafana).toMatch(/^grafana\/grafana:12\.\d+\.\d+$/);
    // Exactly the versions test/stack builds and runs (0.144+: otlp_grpc naming).
    expect(images['otel-collector']).toBe(`otel/opentelemetry-collector-contrib:${VERSIONS.OTELCOL_VERSION}`);
    expect(images.jaeger).toBe(`jaegertracing/jaeger:${VERSIONS.JAEGER_RELEASE}`);
    expect(images.prometheus).toBe(`prom/prometheus:v${VERSIONS.PROMETHEUS_RELEASE}`);
  });

  it('binds every published port to 127.0.0.1', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const p of svc.ports ?? []) expect(p, `${name} port ${p}`).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    const published = Object.values(compose.services).flatMap((s) => s.ports ?? []).map((p) => p.split(':')[1]);
    expect(published.sort()).toEqual(['16686', '3000', '4317', '4318', '9090']);
  });

  it('mounts files that exist, and lets Grafana viewers in without a password', () => {
    for (const [name, svc] of Object.entries(compose.services)) {
      for (const v of svc.volumes ?? []) {
        const host = v.split(':')[0]!;
        expect(existsSync(join(root, host)), `${name}: ${host}`).toBe(true);
      }
    }
    const env = compose.services.grafana!.environment!;
    expect(env.GF_AUTH_ANONYMOUS_ENABLED).toBe('true');
    expect(env.GF_AUTH_ANONYMOUS_ORG_ROLE).toBe('Viewer');
    expect(compose.services['otel-collector']!.volumes).toContain('./otel-collector.yaml:/etc/otelcol-contrib/config.yaml:ro');
  });
});

describe('otel-collector.yaml', () => {
  const cfg = parse(read('otel-collector.yaml')) as Record<string, Record<string, unknown>> & {
    service: { extensions?: string[]; pipelines: Record<string, { receivers: string[]; processors?: string[]; exporters: string[] }> };
  };

  it('defines every component a pipeline names, and uses every defined one', () => {
    const used = new Set<string>();
    for (const [name, p] of Object.entries(cfg.service.pipelines)) {
      for (const kind of ['receivers', 'processors', 'exporters'] as const) {
        for (const id of p[kind] ?? []) {
          expect(cfg[kind]?.[id] !== undefined || id in (cfg[kind] ?? {}), `${name}: ${kind} ${id} defined`).toBe(true);
          used.add(`${kind}:${id}`);
        }
      }
    }
    for (const id of cfg.service.extensions ?? []) expect(id in (cfg.extensions ?? {}), `extension ${id}`).toBe(true);
    for (const kind of ['receivers', 'processors', 'exporters'] as const) {
      for (const id of Object.keys(cfg[kind] ?? {})) expect(used.has(`${kind}:${id}`), `${kind} ${id} is used`).toBe(true);
    }
  });

  it('uses only component types the pinned contrib image ships, and no deprecated alias', () => {
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'connectors']) {
      for (const id of Object.keys(cfg[kind] ?? {})) {
        expect(CONTRIB_0_148[kind], `${kind} ${id}`).toContain(typeOf(id));
        if (kind === 'exporters') expect(DEPRECATED_ALIASES, `exporter ${id} is a deprecated alias`).not.toContain(typeOf(id));
      }
    }
  });

  it('receives OTLP on gRPC and HTTP, batches, sends traces to Jaeger over otlp_grpc and metrics to prometheus', () => {
    const otlp = cfg.receivers!.otlp as { protocols: { grpc: { endpoint: string }; http: { endpoint: string } } };
    expect(composeValue(otlp.protocols.grpc.endpoint)).toBe('0.0.0.0:4317');
    expect(composeValue(otlp.protocols.http.endpoint)).toBe('0.0.0.0:4318');
    const { traces, metrics } = cfg.service.pipelines;
    expect(traces!.processors).toContain('batch');
    expect(metrics!.processors).toContain('batch');
    const jaeger = traces!.exporters.find((e) => typeOf(e) === 'otlp_grpc')!;
    expect(composeValue((cfg.exporters![jaeger] as { endpoint: string }).endpoint)).toBe('jaeger:4317');
    expect(metrics!.exporters.map(typeOf)).toContain('prometheus');
    expect(composeValue((cfg.exporters!.prometheus as { endpoint: string }).endpoint)).toBe('0.0.0.0:8889');
  });

  it('the builder manifest (scripts/stack/otelcol-builder.yaml) has exactly the modules of these components, at one version', () => {
    /** The Go module of each component type the config may use. */
    const MODULE: Record<string, string> = {
      'receivers:otlp': 'go.opentelemetry.io/collector/receiver/otlpreceiver',
      'processors:batch': 'go.opentelemetry.io/collector/processor/batchprocessor',
      'processors:memory_limiter': 'go.opentelemetry.io/collector/processor/memorylimiterprocessor',
      'exporters:otlp_grpc': 'go.opentelemetry.io/collector/exporter/otlpexporter',
      'exporters:prometheus': 'github.com/open-telemetry/opentelemetry-collector-contrib/exporter/prometheusexporter',
      'extensions:health_check': 'github.com/open-telemetry/opentelemetry-collector-contrib/extension/healthcheckextension',
    };
    const manifest = parse(read('scripts/stack/otelcol-builder.yaml')) as Record<string, { gomod: string }[]> & { dist: { version: string } };
    expect(manifest.dist.version).toBe(VERSIONS.OTELCOL_VERSION);
    for (const kind of ['receivers', 'processors', 'exporters', 'extensions', 'connectors']) {
      const wanted = new Set(Object.keys(cfg[kind] ?? {}).map((id) => MODULE[`${kind}:${typeOf(id)}`] ?? `no module known for ${kind} ${id}`));
      const listed = (manifest[kind] ?? []).map((m) => m.gomod.split(' '));
      expect(new Set(listed.map(([mod]) => mod)), kind).toEqual(wanted);
      for (const [mod, version] of listed) expect(version, mod).toBe(`v${VERSIONS.OTELCOL_VERSION}`);
    }
    for (const p of manifest.providers as unknown as { gomod: string }[]) expect(p.gomod).toMatch(new RegExp(` v${VERSIONS.OTELCOL_STABLE_VERSION}$`));
  });
});

describe('prometheus.yml and Grafana provisioning', () => {
  it('prometheus.yml scrapes the collector (and a promtool 3.x accepts it when installed)', () => {
    const p = parse(read('prometheus.yml')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] };
    expect(p.scrape_configs.flatMap((s) => s.static_configs.flatMap((c) => c.targets))).toContain('otel-collector:8889');
    // Prometheus 3 itself runs this file in test/stack/demo.test.ts; Debian's promtool 2.42 does
    // not know proxy_from_environment (added later), so only a 3.x promtool is asked.
    const version = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (version.error || !/version 3\./.test(version.stdout + version.stderr)) return;
    const promtool = spawnSync('promtool', ['check', 'config', join(root, 'prometheus.yml')], { encoding: 'utf8' });
    expect(promtool.status, promtool.stdout + promtool.stderr).toBe(0);
  });

  it('every provisioning file parses; data sources Prometheus and Jaeger point at the compose services', () => {
    const dir = join(root, 'grafana/provisioning');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.(ya?ml|json)$/.test(f));
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect(() => parse(readFileSync(join(dir, f), 'utf8')), f).not.toThrow();
    const ds = parse(readFileSync(join(dir, 'datasources/datasources.yaml'), 'utf8')) as { datasources: { type: string; uid: string; url: string }[] };
    expect(ds.datasources.map((d) => [d.type, d.uid, d.url])).toEqual([
      ['prometheus', 'prometheus', 'http://prometheus:9090'],
      ['jaeger', 'jaeger', 'http://jaeger:16686'],
    ]);
    const prov = parse(readFileSync(join(dir, 'dashboards/dashboards.yaml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(prov.providers[0]!.options.path).toBe('/var/lib/grafana/dashboards');
  });

  it('the dashboard parses, uses only provisioned data sources, and its names are the collector path names', () => {
    const dash = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as { uid: string; panels: { datasource: { uid: string }; title: string; fieldConfig?: { defaults?: { links?: { url: string }[] } }; targets: { queryType?: string }[] }[] };
    expect(dash.uid).toBe('voicemode-latency');
    for (const p of dash.panels) expect(['prometheus', 'jaeger']).toContain(p.datasource.uid);
    const exprs = dashboardQueries().map((q) => q.expr).join('\n');
    const names = new Set([...exprs.matchAll(/\b(voice_[a-z_]+)/g)].map((m) => m[1]!));
    const expected = new Set<string>(['voice_events_total', 'voice_errors_total', 'voice_sessions_open', 'voice_tts_interruptions_total']);
    for (const name of [...Object.values(HISTOGRAMS).map((h) => h.name), SEGMENT_HISTOGRAM]) {
      const base = name.replaceAll('.', '_') + '_seconds';
      for (const s of ['_bucket', '_sum', '_count']) expected.add(base + s);
    }
    for (const n of names) expect(expected, n).toContain(n);
    // The GenAI semconv metrics: seconds get the unit suffix, a {token} count none.
    const genAi = new Set([...exprs.matchAll(/\b(gen_ai_[a-z_]+)/g)].map((m) => m[1]!));
    const genAiExpected = new Set<string>();
    for (const s of ['_bucket', '_sum', '_count']) {
      genAiExpected.add(GEN_AI_DURATION.replaceAll('.', '_') + '_seconds' + s);
      genAiExpected.add(GEN_AI_TOKEN_USAGE.replaceAll('.', '_') + s);
    }
    for (const label of ['gen_ai_operation_name', 'gen_ai_provider_name', 'gen_ai_token_type']) genAiExpected.add(label);
    for (const n of genAi) expect(genAiExpected, n).toContain(n);
    // A way from a slow point to its trace: Jaeger links on latency panels, and a Jaeger search table.
    expect(dash.panels.some((p) => (p.fieldConfig?.defaults?.links ?? []).some((l) => l.url.includes(':16686/search')))).toBe(true);
    expect(dash.panels.some((p) => p.datasource.uid === 'jaeger' && p.targets[0]?.queryType === 'search')).toBe(true);
  });
});
