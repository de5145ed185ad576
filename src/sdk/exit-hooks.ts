/**
 * Flushing at the end of a process without changing how the app ends.
 *
 * - 'beforeExit' (the event loop ran dry): end open sessions, flush asynchronously, once per
 *   new activity (an export's own request brings 'beforeExit' back).
 * - 'exit' (process.exit or the natural end): only synchronous work is possible here, so
 *   open sessions are ended and pending lines are written with sync I/O.
 * - SIGINT / SIGTERM: end open sessions and flush (bounded by a timeout). If the app has its
 *   own listener for the signal, the app decides what happens next; if ours was the only
 *   one, we re-raise the signal after flushing, so the process ends exactly as it would have
 *   without us (killed by the signal, exit status 128 + n). A library must not swallow SIGTERM.
 */
export interface ExitHookActions {
  endSessions(reason: string): void;
  /** A number that changes whenever something is logged: 'beforeExit' flushes only after new activity. */
  activity(): number;
  flush(): Promise<void>;
  flushSync(): void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export function installExitHooks(actions: ExitHookActions, flushTimeoutMs = 2000): () => void {
  let flushing = false;
  let flushedAt: number | undefined;

  const onBeforeExit = (): void => {
    if (flushing) return;
    actions.endSessions('shutdown');
    // A flush that exports keeps the loop alive and brings 'beforeExit' back: flush again only if
    // something was logged since, or an exporter would keep the process up until its deadline.
    const activity = actions.activity();
    if (activity === flushedAt) return;
    flushedAt = activity;
    flushing = true;
    void actions
      .flush()
      .catch(() => undefined)
      .finally(() => {
        flushing = false;
      });
  };

  const onExit = (): void => {
    actions.endSessions('shutdown');
    actions.flushSync();
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    actions.endSessions('shutdown');
    const othersListen = process.listenerCount(signal) > 1;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, flushTimeoutMs).unref());
    void Promise.race([actions.flush().catch(() => undefined), timeout]).then(() => {
      if (othersListen) return;
      uninstall();
      actions.flushSync();
      process.kill(process.pid, signal);
    });
  };

  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  for (const s of SIGNALS) process.on(s, onSignal);

  function uninstall(): void {
    process.off('beforeExit', onBeforeExit);
    process.off('exit', onExit);
    for (const s of SIGNALS) process.off(s, onSignal);
  }
  return uninstall;
}
