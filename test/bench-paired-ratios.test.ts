/**
 * The benchmark's statistics (bench/paired-ratios.ts), pure: ABBA order,
 * per-pair ratios, and the median, spread and noise verdict of a cell.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { abbaOrder, median, pairRatios, ratioSpread } from "../bench/paired-ratios.js";

describe("abbaOrder", () => {
  it("alternates which side goes first, pair by pair", () => {
    assert.deepEqual(abbaOrder("A", "B", 4), [["A", "B"], ["B", "A"], ["A", "B"], ["B", "A"]]);
    assert.deepEqual(abbaOrder("A", "B", 1), [["A", "B"]]);
    assert.deepEqual(abbaOrder("A", "B", 0), []);
  });

  it("puts each side first equally often over an even number of pairs", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), (half) => {
        const order = abbaOrder("A", "B", half * 2);
        assert.equal(order.filter(([first]) => first === "A").length, half);
        for (const pair of order) assert.deepEqual([...pair].sort(), ["A", "B"]);
      }),
    );
  });
});

describe("median", () => {
  it("takes the middle value, or the mean of the two middle ones, ignoring non-finite values", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(median([Number.NaN, 5, Number.POSITIVE_INFINITY]), 5);
    assert.ok(Number.isNaN(median([])));
  });
});

describe("pairRatios", () => {
  it("divides each pair, NaN where a side is missing or zero", () => {
    assert.deepEqual(pairRatios([[2, 4], [3, 3]]), [0.5, 1]);
    const [missing, zero] = pairRatios([[Number.NaN, 1], [1, 0]]);
    assert.ok(Number.isNaN(missing!));
    assert.ok(Number.isNaN(zero!));
  });
});

describe("ratioSpread", () => {
  it("gives the median and the min–max of the ratios", () => {
    const spread = ratioSpread([1.1, 0.9, 1.3, Number.NaN]);
    assert.equal(spread.pairs, 3);
    assert.equal(spread.median, 1.1);
    assert.equal(spread.min, 0.9);
    assert.equal(spread.max, 1.3);
  });

  it("is clear when every pair is on the same side of 1.0", () => {
    assert.equal(ratioSpread([1.04, 1.08]).noise, false);
    assert.equal(ratioSpread([0.7, 0.95, 0.99]).noise, false);
  });

  it("is noise when some pair goes past 1.0 the other way by more than the median differs from it", () => {
    // Median 1.015; one pair is 0.03 under 1.0.
    assert.equal(ratioSpread([0.97, 1.06]).noise, true);
    // Median 0.95; one pair is 0.1 over 1.0.
    assert.equal(ratioSpread([0.8, 0.95, 1.1]).noise, true);
    // The median sits on the edge of the spread; the other edge still decides.
    assert.equal(ratioSpread([0.8, 1.1, 1.1]).noise, true);
  });

  it("is clear when the spread crosses 1.0 by less than the difference", () => {
    // Median 1.095; the one pair under 1.0 is only 0.01 under.
    assert.equal(ratioSpread([0.99, 1.2]).noise, false);
    assert.equal(ratioSpread([0.85, 0.9, 1.02]).noise, false);
  });

  it("cannot tell from fewer than two pairs", () => {
    assert.equal(ratioSpread([1.2]).noise, undefined);
    const none = ratioSpread([Number.NaN]);
    assert.equal(none.pairs, 0);
    assert.equal(none.noise, undefined);
    assert.ok(Number.isNaN(none.median));
  });

  it("agrees with its definition on any set of ratios", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0.5, max: 2, noNaN: true }), { minLength: 2, maxLength: 12 }), (ratios) => {
        const spread = ratioSpread(ratios);
        assert.ok(spread.min <= spread.median && spread.median <= spread.max);
        const difference = Math.abs(spread.median - 1);
        const opposite = spread.median >= 1 ? ratios.filter((r) => r < 1 - difference) : ratios.filter((r) => r > 1 + difference);
        assert.equal(spread.noise, opposite.length > 0);
        // A spread that stays on one side of 1.0 is never noise.
        if (ratios.every((r) => r > 1) || ratios.every((r) => r < 1)) assert.equal(spread.noise, false);
      }),
    );
  });
});
