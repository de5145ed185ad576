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

/**
 * Signal listeners of every hook set this module installed (startTelemetry's, the default
 * sink's, an app's second provider's). Only a listener not in here is the app's own: two sets of
 * ours must not each take the other for the app and both leave the signal unanswered.
 */
const OUR_SIGNAL_LISTENERS = new WeakSet<(...args: never[]) => unknown>();

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
    // The app's own listener decides what happens next; ours only flush. The last set of ours to
    // finish re-raises (each removes itself first, so the next one sees the signal again).
    const othersListen = process.listeners(signal).some((l) => l !== onSignal && !OUR_SIGNAL_LISTENERS.has(l));
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
  OUR_SIGNAL_LISTENERS.add(onSignal);
  for (const s of SIGNALS) process.on(s, onSignal);

  function uninstall(): void {
    process.off('beforeExit', onBeforeExit);
    process.off('exit', onExit);
    for (const s of SIGNALS) process.off(s, onSignal);
  }
  return uninstall;
}
