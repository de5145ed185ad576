/** A copy of a typed array with room for `capacity` elements (the columns of the reader and analysis grow this way). */
export function withCapacity<T extends Int32Array | Float64Array>(a: T, capacity: number): T {
  const grown = new (a.constructor as new (length: number) => T)(capacity);
  grown.set(a);
  return grown;
}
