import { createServer } from 'node:net';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Ports this process has handed out: the kernel may give a just-released port again. */
const handedOut = new Set<number>();

/**
 * A loopback port nothing listens on (just released by a throwaway server), never one this
 * process handed out before: a stack test takes ten in a row, and the kernel once gave the
 * same port for the collector's health check and Jaeger's query API (CI failed to start Jaeger).
 */
export async function freePort(): Promise<number> {
  for (;;) {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    const port = (srv.address() as { port: number }).port;
    await new Promise<void>((r) => srv.close(() => r()));
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}
