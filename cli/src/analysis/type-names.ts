/**
 * Event type names as the one string V8 keeps for a name (an internalized string), so that the
 * analysis's many comparisons of a type with a name (`type === 'TTS_START'`: the deriver, the
 * turns, the usage counter, their numbers, the sorter; some twenty per event) compare two
 * pointers. A type read from a file is a string of its own, built from the line's bytes: each
 * comparison with a name of the same length compared their characters (issue 14, round 8).
 */
const MAX_NAMES = 4096;

export class TypeNames {
  private readonly names = new Map<string, string>();

  /** The internalized string equal to `type` (`type` itself past MAX_NAMES distinct types: a file of ever new types stays bounded). */
  of(type: string): string {
    const name = this.names.get(type);
    if (name !== undefined) return name;
    if (this.names.size >= MAX_NAMES) return type;
    // a property key is internalized: the key read back is V8's one string for the name
    // (a null-prototype object: the key comes from input, `__proto__` included)
    const holder: Record<string, number> = Object.create(null) as Record<string, number>;
    holder[type] = 0;
    const interned = Object.keys(holder)[0]!;
    this.names.set(type, interned);
    return interned;
  }
}
