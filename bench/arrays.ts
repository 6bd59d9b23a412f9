/** List helpers for the benchmarks, which only index lists they have just built. */

/** `values[index]`, which has to be there: an index outside the list is a bug in the benchmark. */
export function itemAt<T>(values: readonly T[], index: number): T {
  if (!Number.isInteger(index) || index < 0 || index >= values.length) {
    throw new RangeError(`index ${index} is outside a list of ${values.length}`);
  }
  // In range, so an element of the list (undefined only where the list holds undefined).
  return values[index] as T;
}

/** The middle value (of an even count, the upper of the two middle ones). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return itemAt(sorted, Math.floor(values.length / 2));
}
