import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through on loopback between the app and the collector's OTLP/HTTP port: every request
 * is forwarded unchanged and the collector's answer returned unchanged; the JSON bodies are
 * kept, so a test can compare what the app sent with what Jaeger stored. When the collector is
 * down the app sees a refused connection as a 503, like a proxy in front of a stopped service.
 */
export interface OtlpTee {
  url: string;
  traces(): unknown[];
  close(): Promise<void>;
}

export async function startOtlpTee(target: string): Promise<OtlpTee> {
  const bodies: { path: string; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      fetch(`${target}${req.url ?? ''}`, {
        method: req.method ?? 'POST',
        headers: { 'content-type': String(req.headers['content-type'] ?? 'application/json') },
        body: raw,
      })
        .then(async (r) => {
          const answer = Buffer.from(await r.arrayBuffer());
          if (r.ok) bodies.push({ path: req.url ?? '', body: JSON.parse(raw.toString('utf8')) });
          res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' }).end(answer);
        })
        .catch(() => res.writeHead(503).end());
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    traces: () => bodies.filter((b) => b.path.startsWith('/v1/traces')).map((b) => b.body),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Span status codes by span id, from OTLP/JSON trace bodies (2 = ERROR). */
export function statusBySpan(bodies: unknown[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const body of bodies as { resourceSpans?: { scopeSpans?: { spans?: { spanId: string; status?: { code?: number } }[] }[] }[] }[]) {
    for (const rs of body.resourceSpans ?? []) {
      for (const ss of rs.scopeSpans ?? []) for (const s of ss.spans ?? []) out.set(s.spanId, s.status?.code ?? 0);
    }
  }
  return out;
}
