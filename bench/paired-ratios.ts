/**
 * The statistics of a paired comparison, pure: the run order (ABBA), the
 * median of a list, and the median and spread of the per-pair ratios with a
 * verdict on whether the difference stands out from the spread.
 */

/**
 * The order of `pairs` A/B pairs, ABBA: A B, B A, A B, B A, ... so that a
 * drift of the machine over the cell (other work starting, the CPU warming)
 * favours each side equally often, where A B A B ... always favours one.
 *
 * @example
 * ```ts
 * abbaOrder("tcpkit", "raw", 2); // [["tcpkit", "raw"], ["raw", "tcpkit"]]
 * ```
 */
export function abbaOrder<T>(a: T, b: T, pairs: number): Array<[T, T]> {
  return Array.from({ length: pairs }, (_, i): [T, T] => (i % 2 === 0 ? [a, b] : [b, a]));
}

/** Median of the finite numbers in `values` (NaN for none). */
export function median(values: readonly number[]): number {
  const sorted = values.filter(Number.isFinite).sort((x, y) => x - y);
  if (sorted.length === 0) return Number.NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The per-pair ratios of one figure, summarised. */
export interface RatioSpread {
  /** Pairs with a finite ratio. */
  readonly pairs: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /**
   * True when the spread reaches past 1.0 on the side away from the median
   * by more than the median differs from 1.0: some pairs say the opposite of
   * the median by more than the median says, so the difference is within the
   * run-to-run noise. Undefined with fewer than two pairs (no spread to judge).
   */
  readonly noise: boolean | undefined;
}

/**
 * Summarises the ratios of paired runs (each `a / b` of two runs next to each other).
 *
 * @example
 * ```ts
 * ratioSpread([0.97, 1.06]).noise; // true: median 1.015, but one pair is 0.03 under 1.0
 * ratioSpread([1.04, 1.08]).noise; // false: every pair is above 1.0
 * ```
 */
export function ratioSpread(ratios: readonly number[]): RatioSpread {
  const finite = ratios.filter(Number.isFinite);
  if (finite.length === 0) return { pairs: 0, median: Number.NaN, min: Number.NaN, max: Number.NaN, noise: undefined };
  const mid = median(finite);
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const difference = Math.abs(mid - 1);
  const against = mid >= 1 ? 1 - min : max - 1;
  return { pairs: finite.length, median: mid, min, max, noise: finite.length < 2 ? undefined : against > difference };
}

/** `a[i] / b[i]` for each pair; NaN where either is missing or not finite. */
export function pairRatios(pairs: ReadonlyArray<readonly [a: number, b: number]>): number[] {
  return pairs.map(([a, b]) => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? a / b : Number.NaN));
}
