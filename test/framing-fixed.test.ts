import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fixed } from "../src/framing/index.js";
import { TcpError } from "../src/index.js";
import { decodeChunks, encoded } from "./helpers/framing.js";

describe("fixed", () => {
  it("cuts the stream into frames of the size, however it arrives", () => {
    const codec = fixed(3);
    const { frames, left } = decodeChunks(codec, [Buffer.from("ab"), Buffer.from("cdefg"), Buffer.from("h")]);
    assert.deepEqual(frames.map((f) => Buffer.from(f).toString()), ["abc", "def"]);
    assert.equal(left, 2);
    assert.equal(codec.maxLength, 3);
  });

  it("encodes a frame of exactly the size as is", () => {
    const frame = Buffer.from("abc");
    assert.equal(fixed(3).encode(frame), frame);
    assert.deepEqual(encoded(fixed(1), Uint8Array.of(9)), Buffer.from([9]));
  });

  it("refuses to encode a frame of another size", () => {
    assert.throws(() => fixed(3).encode(Buffer.from("abcd")), (e: unknown) => e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG" && /\(fixed\)/.test(e.message));
    assert.throws(() => fixed(3).encode(Buffer.from("ab")), (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT" && /exactly 3 bytes/.test(e.message));
  });

  it("refuses a size that is not a positive integer, naming it", () => {
    for (const size of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "4" as unknown as number]) {
      assert.throws(
        () => fixed(size),
        (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT" && /^fixed: size must be a positive integer/.test(e.message),
        String(size),
      );
    }
  });
});
