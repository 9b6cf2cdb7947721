/**
 * A latency histogram of fixed size, so a long benchmark records any number
 * of samples in constant memory. Values are whole microseconds; buckets are
 * log-linear (as in HdrHistogram): exact below 256 µs, and above that each
 * power of two is split into 128 buckets, so a reported percentile is within
 * 1 % of the true sample. The maximum is kept exactly.
 *
 * @module
 */

const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS; // 128
const EXACT_BELOW = SUB_BUCKETS * 2; // 256
/** Largest recordable value (about 18 minutes); larger samples are clamped to it. */
const MAX_MICROS = 2 ** 30 - 1;
const BUCKET_COUNT = EXACT_BELOW + (30 - SUB_BUCKET_BITS - 1) * SUB_BUCKETS;

/** Counts of latencies in microseconds. */
export class LatencyHistogram {
  readonly #counts = new Float64Array(BUCKET_COUNT);
  #count = 0;
  #max = 0;

  /** The number of samples recorded. */
  get count(): number {
    return this.#count;
  }

  /** The largest sample, exactly (0 when empty). */
  get max(): number {
    return this.#max;
  }

  /** Records one sample; negative values count as 0. */
  record(micros: number): void {
    const value = Math.min(MAX_MICROS, Math.max(0, Math.round(micros)));
    this.#counts[bucketOf(value)]!++;
    this.#count++;
    if (value > this.#max) this.#max = value;
  }

  /**
   * The value at quantile `q` (0..1): the smallest sample such that at least
   * `q` of all samples are at or below it, to within the bucket width. 0 when empty.
   */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKET_COUNT; i++) {
      seen += this.#counts[i]!;
      if (seen >= rank) return Math.min(this.#max, middleOf(i));
    }
    return this.#max;
  }
}

function bucketOf(value: number): number {
  if (value < EXACT_BELOW) return value;
  // The top SUB_BUCKET_BITS + 1 bits of the value pick the bucket.
  const shift = 31 - Math.clz32(value) - SUB_BUCKET_BITS;
  return EXACT_BELOW + (shift - 1) * SUB_BUCKETS + ((value >>> shift) - SUB_BUCKETS);
}

/** The middle of bucket `index`: its representative value. */
function middleOf(index: number): number {
  if (index < EXACT_BELOW) return index;
  const shift = Math.floor((index - EXACT_BELOW) / SUB_BUCKETS) + 1;
  const top = ((index - EXACT_BELOW) % SUB_BUCKETS) + SUB_BUCKETS;
  const low = top << shift;
  return low + ((1 << shift) - 1) / 2;
}
