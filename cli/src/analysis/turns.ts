/**
 * The turn of an event, by the same rule as metrics/derive.ts: a line that carries `turn`
 * keeps it; otherwise turn 0 holds what happens before the user first speaks and every
 * RECORDING_START opens the next turn. One instance per session, fed in time order.
 */
export class TurnAssigner {
  private ruleTurn = 0;
  readonly seen = new Set<number>();
  /** The turn added to `seen` last (NaN: none yet). */
  private lastAdded = Number.NaN;

  /** The event's turn; SESSION_START / SESSION_END belong to the session, not a turn (undefined). */
  assign(eventType: string, turn: number | undefined): number | undefined {
    if (eventType === 'RECORDING_START') this.ruleTurn++;
    if (eventType === 'SESSION_START' || eventType === 'SESSION_END') return undefined;
    const t = turn ?? this.ruleTurn;
    // a session's events mostly repeat the turn before: the set is only touched when it changes
    if (t !== this.lastAdded) {
      this.seen.add(t);
      this.lastAdded = t;
    }
    return t;
  }
}
