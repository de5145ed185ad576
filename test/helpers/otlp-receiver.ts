import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A real OTLP/HTTP receiver on loopback for tests: accepts the standard JSON encoding on
 * /v1/traces and /v1/metrics (what @opentelemetry/exporter-*-otlp-http send) and keeps the
 * decoded bodies. Its behaviour can be switched to answer 500, to hang, or to answer only
 * after `slowMs` (a collector slow to accept), to test outages.
 */
export type ReceiverMode = 'ok' | 'error500' | 'hang' | 'slow';

export interface OtlpRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

export interface OtlpReceiver {
  readonly url: string;
  readonly requests: OtlpRequest[];
  mode: ReceiverMode;
  /** How long a request waits in `slow` mode. Default 150 ms. */
  slowMs: number;
  /** Decoded trace payloads (resourceSpans) received so far. */
  traces(): unknown[];
  metrics(): unknown[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const requests: OtlpRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let mode: ReceiverMode = 'ok';
  let slowMs = 150;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'hang') {
        hanging.add(res);
        return;
      }
      if (mode === 'error500') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"test outage"}');
        return;
      }
      const accept = (): void => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // keep the raw text: a test will see it is not JSON
        }
        requests.push({ path: req.url ?? '', headers: req.headers, body });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      };
      if (mode === 'slow') setTimeout(accept, slowMs);
      else accept();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get mode() {
      return mode;
    },
    get slowMs() {
      return slowMs;
    },
    set slowMs(ms: number) {
      slowMs = ms;
    },
    set mode(m: ReceiverMode) {
      mode = m;
      if (m !== 'hang') {
        for (const res of hanging) res.destroy();
        hanging.clear();
      }
    },
    traces: () => requests.filter((r) => r.path.startsWith('/v1/traces')).map((r) => r.body),
    metrics: () => requests.filter((r) => r.path.startsWith('/v1/metrics')).map((r) => r.body),
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
