import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { delimited, fixed, lengthPrefixed, lines, type Codec } from "../src/framing/index.js";
import { decodeChunks, encoded, splitAt } from "./helpers/framing.js";
import { resp, type RespValue } from "./helpers/resp-codec.js";

/**
 * Frames encoded, concatenated, cut at random points and fed chunk by chunk
 * decode back to the same frames, with nothing left buffered.
 */
function roundTrips<T>(codec: Codec<T>, frame: fc.Arbitrary<T>, normalise: (frame: T) => unknown = (f) => f): void {
  fc.assert(
    fc.property(fc.array(frame, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 30 }), (frames, cuts) => {
      const bytes = Buffer.concat(frames.map((f) => encoded(codec, f)));
      const { frames: decoded, left } = decodeChunks(codec, splitAt(bytes, cuts));
      assert.deepEqual(decoded.map(normalise), frames.map(normalise));
      assert.equal(left, 0);
    }),
  );
}

const asBuffer = (frame: Uint8Array): Buffer => Buffer.from(frame);
const bytes = (maxLength: number, max = 255): fc.Arbitrary<Uint8Array> => fc.uint8Array({ maxLength, max });

describe("codecs round-trip through arbitrary chunking (property)", () => {
  for (const lengthBytes of [1, 2, 4] as const) {
    for (const littleEndian of [false, true]) {
      it(`lengthPrefixed({ lengthBytes: ${lengthBytes}, littleEndian: ${littleEndian} })`, () => {
        roundTrips(lengthPrefixed({ lengthBytes, littleEndian }), bytes(300).filter((f) => f.length <= 2 ** (8 * lengthBytes) - 1), asBuffer);
      });
    }
  }

  it("fixed(size)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), (size) => {
        roundTrips(fixed(size), fc.uint8Array({ minLength: size, maxLength: size }), asBuffer);
      }),
      { numRuns: 10 },
    );
  });

  it("lines() with any bytes but \\n, including \\r", () => {
    roundTrips(lines(), bytes(40).map((f) => f.map((b) => (b === 0x0a ? 0x0d : b))), asBuffer);
  });

  it("delimited(delimiter) with overlapping small alphabets: encode refuses exactly what would not round-trip", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 3, max: 2 }), (delimiter) => {
        const codec = delimited(delimiter);
        const d = Buffer.from(delimiter);
        const safe = bytes(12, 2).filter((f) => Buffer.concat([f, d]).indexOf(d) === f.length);
        roundTrips(codec, safe, asBuffer);
        fc.assert(
          fc.property(bytes(12, 2), (f) => {
            const unsafe = Buffer.concat([f, d]).indexOf(d) !== f.length;
            let refused = false;
            try {
              codec.encode(f);
            } catch {
              refused = true;
            }
            assert.equal(refused, unsafe);
          }),
          { numRuns: 50 },
        );
      }),
      { numRuns: 30 },
    );
  });

  it("the RESP example codec", () => {
    const leaf: fc.Arbitrary<RespValue> = fc.oneof(
      fc.stringMatching(/^[^\r\n]{0,8}$/).map((value): RespValue => ({ type: "simple", value })),
      fc.stringMatching(/^[^\r\n]{0,8}$/).map((message): RespValue => ({ type: "error", message })),
      fc.maxSafeInteger().map((value): RespValue => ({ type: "integer", value })),
      fc.option(bytes(10), { nil: null }).map((value): RespValue => ({ type: "bulk", value: value === null ? null : Buffer.from(value) })),
    );
    const { value } = fc.letrec<{ value: RespValue }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", withCrossShrink: true },
        leaf,
        fc.option(fc.array(tie("value"), { maxLength: 4 }), { nil: null }).map((items): RespValue => ({ type: "array", value: items })),
      ),
    }));
    roundTrips(resp(), value);
  });
});
