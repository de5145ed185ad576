/**
 * A tiny synchronous pub/sub. Used for the two places where the instrumentation hands
 * something to whoever listens (sinks, metrics, the app) without depending on them.
 * A listener that throws is ignored: it must never reach the app that logged the event.
 */
export class ListenerSet<A extends [unknown?, unknown?, unknown?]> {
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

  emit(...args: A): void;
  // Up to three fixed parameters rather than a rest array: this runs for every event.
  emit(a?: unknown, b?: unknown, c?: unknown): void {
    this.emitted++;
    const ls = this.listeners as unknown as ((a: unknown, b: unknown, c: unknown) => void)[];
    for (let i = 0; i < ls.length; i++) {
      try {
        ls[i]!(a, b, c);
      } catch {
        // ignored on purpose, see above
      }
    }
  }
}
