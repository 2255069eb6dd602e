/** Keeps, for each key, the item with the greatest time; on a tie the later item wins. */
export function newestPerKey<T>(items: T[], keyOf: (item: T) => string | undefined, timeOf: (item: T) => number): T[] {
  const newest = new Map<string, T>();
  for (const item of items) {
    const key = keyOf(item);
    if (key === undefined) continue;
    const current = newest.get(key);
    if (!current || timeOf(item) >= timeOf(current)) newest.set(key, item);
  }
  return [...newest.values()];
}
