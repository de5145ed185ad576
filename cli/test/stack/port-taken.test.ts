import { createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * A port taken by another process between freePort() and the part's bind (vitest runs test
 * files in parallel processes, each picking "free" ports): startStack retries on new ports
 * instead of failing the test file. The first port handed out (the collector's OTLP gRPC
 * input) is one this test holds.
 */
let held: Server | undefined;
let heldPort = 0;
vi.mock('../../../test/otel/net.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../test/otel/net.js')>();
  return {
    ...real,
    freePort: async () => {
      if (held !== undefined) return real.freePort();
      held = createServer();
      await new Promise<void>((r) => held!.listen(0, '127.0.0.1', r));
      heldPort = (held.address() as { port: number }).port;
      return heldPort;
    },
  };
});

const { stackSkipReason, startStack } = await import('./stack.js');
const skip = stackSkipReason('test/stack/port-taken.test.ts', ['collector']);

afterAll(() => held?.close());

describe.skipIf(skip)('starting the stack when another process took one of its ports', () => {
  it('retries on new ports, and the collector answers', async () => {
    const stack = await startStack('collector');
    try {
      expect(heldPort).toBeGreaterThan(0);
      // the held port is still ours: the collector runs on others
      expect(held!.listening).toBe(true);
      const res = await fetch(stack.collectorMetrics);
      expect(res.status).toBe(200);
    } finally {
      await stack.close();
    }
  }, 120_000);
});
