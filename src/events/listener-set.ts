/**
 * A tiny synchronous pub/sub. Used for the two places where the instrumentation hands
 * something to whoever listens (sinks, metrics, the app) without depending on them.
 * A listener that throws is ignored: it must never reach the app that logged the event.
 */
export class ListenerSet<A extends unknown[]> {
  private listeners: ((...args: A) => void)[] = [];
  /** How many times emit ran: a cheap activity counter (e.g. "anything logged since?"). */
  emitted = 0;

  /** Adds a listener; returns the function that removes it. */
  add(listener: (...args: A) => void): () => void {
    this.listeners = [...this.listeners, listener];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== listener);
    };
  }

  get size(): number {
    return this.listeners.length;
  }

  emit(...args: A): void {
    this.emitted++;
    const ls = this.listeners;
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i]!(...args);
      } catch {
        // ignored on purpose, see above
      }
    }
  }
}
