import { execFile, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../../../test/helpers/harness.js';
import { freePort, sleep } from '../../../test/otel/net.js';

/**
 * The real observability stack for the tests: the collector, Jaeger and Prometheus binaries
 * that scripts/stack/build.sh built, started by scripts/stack/up.sh on free loopback ports with
 * the repository's own otel-collector.yaml and prometheus.yml, stopped by down.sh.
 *
 * In CI (CI=true) a missing binary is an error; locally the stack tests skip with the reason.
 */
const run = promisify(execFile);
const SCRIPTS = resolve('scripts/stack');

export type Part = 'collector' | 'jaeger' | 'prometheus';

/** Versions and binary paths as scripts/stack/lib.sh computes them (one source of truth). */
function stackPaths(): Record<string, string> {
  const r = spawnSync(
    'bash',
    ['-c', `. "${SCRIPTS}/lib.sh"; for v in OTELCOL_BIN JAEGER_BIN PROMETHEUS_BIN OTELCOL_VERSION JAEGER_RELEASE PROMETHEUS_RELEASE; do echo "$v=\${!v}"; done`],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`scripts/stack/lib.sh failed: ${r.stderr}`);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

export const STACK = stackPaths();
const BINARY: Record<Part, string> = { collector: 'OTELCOL_BIN', jaeger: 'JAEGER_BIN', prometheus: 'PROMETHEUS_BIN' };

/** Why a stack test needing these parts cannot run here ('' when it can). Throws in CI. */
export function stackSkipReason(file: string, parts: Part[] = ['collector', 'jaeger', 'prometheus']): string {
  const missing = parts.map((p) => STACK[BINARY[p]]!).filter((p) => !existsSync(p));
  if (missing.length === 0) return '';
  const reason = `stack binaries missing (${missing.join(', ')}): run scripts/stack/build.sh`;
  if (process.env.CI) throw new Error(`${file}: ${reason} (.ci/run builds them)`);
  console.warn(`SKIP ${file}: ${reason}`);
  return reason;
}

export interface Stack {
  /** OTLP/HTTP base URL of the collector (what OTEL_EXPORTER_OTLP_ENDPOINT points at). */
  otlpHttp: string;
  /** Jaeger's query HTTP API base URL (http://127.0.0.1:<port>, paths /api/...). */
  jaeger: string;
  prometheus: string;
  /** The collector's prometheus exporter (/metrics). */
  collectorMetrics: string;
  up(...parts: Part[]): Promise<void>;
  down(...parts: Part[]): Promise<void>;
  /** The last lines of a part's log (for failure messages). */
  log(part: Part): string;
  /** Stops everything and removes the state folder. */
  close(): Promise<void>;
}

/** A part that failed to start because another process took one of its ports first. */
const PORT_TAKEN = /address already in use|bind: /i;

/**
 * Starts the parts on free loopback ports. freePort() releases each port before the parts bind
 * it, so another test process (vitest runs files in parallel forks) can take one in between:
 * a start that failed on a taken port is retried on new ports (twice at most), any other
 * failure is thrown at once with the parts' logs.
 */
export async function startStack(...parts: Part[]): Promise<Stack> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(parts);
    } catch (err) {
      if (attempt >= 3 || !PORT_TAKEN.test((err as Error).message)) throw err;
    }
  }
}

async function startStackOnce(parts: Part[]): Promise<Stack> {
  const state = tempDir('vme-stack-');
  const ports = {
    VOICEMODE_STACK_OTLP_GRPC_PORT: await freePort(),
    VOICEMODE_STACK_OTLP_HTTP_PORT: await freePort(),
    VOICEMODE_STACK_COLLECTOR_METRICS_PORT: await freePort(),
    VOICEMODE_STACK_COLLECTOR_HEALTH_PORT: await freePort(),
    VOICEMODE_STACK_COLLECTOR_TELEMETRY_PORT: await freePort(),
    VOICEMODE_STACK_JAEGER_OTLP_PORT: await freePort(),
    VOICEMODE_STACK_JAEGER_OTLP_HTTP_PORT: await freePort(),
    VOICEMODE_STACK_JAEGER_QUERY_PORT: await freePort(),
    VOICEMODE_STACK_JAEGER_QUERY_GRPC_PORT: await freePort(),
    VOICEMODE_STACK_PROMETHEUS_PORT: await freePort(),
  };
  const env = { ...process.env, VOICEMODE_STACK_STATE: state, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
  const script = async (name: string, args: Part[]): Promise<void> => {
    await run('bash', [join(SCRIPTS, name), ...args], { env, encoding: 'utf8', timeout: 90_000 });
  };
  const stack: Stack = {
    otlpHttp: `http://127.0.0.1:${ports.VOICEMODE_STACK_OTLP_HTTP_PORT}`,
    jaeger: `http://127.0.0.1:${ports.VOICEMODE_STACK_JAEGER_QUERY_PORT}`,
    prometheus: `http://127.0.0.1:${ports.VOICEMODE_STACK_PROMETHEUS_PORT}`,
    collectorMetrics: `http://127.0.0.1:${ports.VOICEMODE_STACK_COLLECTOR_METRICS_PORT}/metrics`,
    up: (...p) => script('up.sh', p),
    down: (...p) => script('down.sh', p),
    log: (part) => {
      const f = join(state, `${part}.log`);
      return existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(-30).join('\n') : '(no log)';
    },
    close: async () => {
      await script('down.sh', []).catch(() => undefined);
      rmSync(state, { recursive: true, force: true });
    },
  };
  try {
    await stack.up(...parts);
  } catch (err) {
    const logs = (['jaeger', 'collector', 'prometheus'] as const).map((p) => `--- ${p}\n${stack.log(p)}`).join('\n');
    await stack.close();
    throw new Error(`${(err as Error).message}\n${logs}`);
  }
  return stack;
}

/** Polls fn until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(250);
  }
}
