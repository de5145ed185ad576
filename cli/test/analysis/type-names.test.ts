import { describe, expect, it } from 'vitest';
import { TypeNames } from '../../src/analysis/type-names.js';

/** Event types handed to the analysis as one string per name (issue 14, round 8). */
describe('TypeNames', () => {
  it('gives back a string equal to the type, the same one each time, for any name a file holds', () => {
    const names = new TypeNames();
    for (const type of ['TTS_START', 'SESSION_END', '__proto__', 'constructor', '123', '', 'A-\u00e9\u4e2d']) {
      const built = Buffer.from(type, 'utf8').toString('utf8'); // a string of its own, as read from a line
      const name = names.of(built);
      expect(name).toBe(type);
      expect(names.of(Buffer.from(type, 'utf8').toString('utf8'))).toBe(name);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({})).toBe(Object.prototype);
  });

  it('stays bounded on a file of ever new types: past its limit, a type is handed back as it is', () => {
    const names = new TypeNames();
    for (let i = 0; i < 5000; i++) expect(names.of(`TYPE_${i}`)).toBe(`TYPE_${i}`);
    expect((names as unknown as { names: Map<string, string> }).names.size).toBe(4096);
  });
});
