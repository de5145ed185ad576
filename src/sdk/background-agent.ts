import type { Agent as HttpAgent, ClientRequest, ClientRequestArgs } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * HTTP agents for the OTLP exporters whose sockets never keep the process alive, and whose
 * requests all end at once when the exit deadline passes.
 *
 * An app that ends naturally ends when its event loop runs dry; 'beforeExit' then flushes once,
 * under one deadline (exit-hooks.ts, export-pipeline.ts `bounded`). But an export request in
 * flight is a ref'd socket: with a collector that hangs or answers slowly, each pending batch
 * kept the loop busy for up to the request timeout (10 s) *before* 'beforeExit' could even
 * fire, one batch after the other: 30-70 s to exit. With these agents, exports run in the
 * background of the app's own work; the exit flush holds the process itself (a timer) until it
 * is done or its deadline passes, and then `abort()` fails the requests in flight and any new
 * one with a non-retryable error, so neither the exporter's retry timers nor the SDK's export
 * timers (both ref'd) hold the process any longer.
 *
 * The exporters' factory option (`httpAgentOptions` as a function) is used with a dynamic
 * import, as the exporter asks, so an http instrumentation can patch the module first.
 */
export class BackgroundAgents {
  private readonly sockets = new Set<Socket>();
  private abortError: Error | undefined;

  /** For the exporters' `httpAgentOptions`. */
  readonly factory = async (protocol: string): Promise<HttpAgent> => {
    const mod = protocol === 'https:' ? await import('node:https') : await import('node:http');
    const Base: typeof HttpAgent = mod.Agent; // https.Agent is an http.Agent
    const pool = this;
    class BackgroundAgent extends Base {
      override createConnection(options: ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
        if (pool.abortError) {
          cb?.(pool.abortError, undefined as unknown as Duplex);
          return undefined;
        }
        const socket = super.createConnection(options, cb) as Socket | null | undefined;
        if (socket) {
          socket.unref();
          pool.sockets.add(socket);
          socket.once('close', () => pool.sockets.delete(socket));
        }
        return socket;
      }

      // the agent refs a kept-alive socket when it hands it to a new request
      override reuseSocket(socket: Socket, request: ClientRequest): void {
        super.reuseSocket(socket, request);
        socket.unref();
      }
    }
    return new BackgroundAgent({ keepAlive: true });
  };

  /** Fails every request in flight and every later one (not retried: the code is not a network error's). */
  abort(): void {
    const err = Object.assign(new Error('export abandoned: exit deadline passed'), { code: 'ERR_EXIT_DEADLINE' });
    this.abortError = err;
    for (const s of this.sockets) s.destroy(err);
    this.sockets.clear();
  }
}
