import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lengthPrefixed } from "../src/framing/index.js";
import { TcpError } from "../src/index.js";
import { decodeChunks, encoded } from "./helpers/framing.js";

const bytes = (...values: number[]): Buffer => Buffer.from(values);
const text = (s: string): Buffer => Buffer.from(s);

describe("lengthPrefixed", () => {
  it("encodes a big-endian length of the payload only, then the payload", () => {
    assert.deepEqual(encoded(lengthPrefixed({ lengthBytes: 1 }), text("hi")), Buffer.from([2, 0x68, 0x69]));
    assert.deepEqual(encoded(lengthPrefixed({ lengthBytes: 2 }), text("hi")), Buffer.from([0, 2, 0x68, 0x69]));
    assert.deepEqual(encoded(lengthPrefixed({ lengthBytes: 4 }), new Uint8Array(0x01_02_03)), Buffer.concat([Buffer.from([0, 1, 2, 3]), Buffer.alloc(0x01_02_03)]));
  });

  it("encodes and decodes little-endian lengths", () => {
    const codec = lengthPrefixed({ lengthBytes: 4, littleEndian: true, maxLength: 70_000 });
    const payload = Buffer.alloc(0x01_02_03, 7);
    const wire = encoded(codec, payload);
    assert.deepEqual(wire.subarray(0, 4), Buffer.from([3, 2, 1, 0]));
    assert.deepEqual(decodeChunks(codec, [wire]).frames, [payload]);
    const two = lengthPrefixed({ lengthBytes: 2, littleEndian: true });
    assert.deepEqual(decodeChunks(two, [bytes(3, 0, 1, 2, 3)]).frames, [bytes(1, 2, 3)]);
  });

  it("hands the payload over without a copy when it came in one chunk, and no prefix", () => {
    const chunk = Buffer.from([0, 3, 0x61, 0x62, 0x63, 0, 0]);
    const { frames, left } = decodeChunks(lengthPrefixed({ lengthBytes: 2 }), [chunk]);
    assert.equal(frames.length, 2);
    assert.equal(frames[0]!.buffer, chunk.buffer);
    assert.equal(Buffer.from(frames[0]!).toString(), "abc");
    assert.equal(frames[1]!.length, 0); // an empty payload is a frame
    assert.equal(left, 0);
  });

  it("waits for the rest of the prefix and of the payload", () => {
    const codec = lengthPrefixed({ lengthBytes: 4 });
    assert.deepEqual(decodeChunks(codec, [bytes(0, 0), bytes(0)]), { frames: [], left: 3 });
    assert.deepEqual(decodeChunks(codec, [bytes(0, 0, 0, 2, 9)]), { frames: [], left: 5 });
    assert.deepEqual(decodeChunks(codec, [bytes(0, 0, 0), bytes(2, 9), bytes(8)]).frames, [bytes(9, 8)]);
  });

  it("reads a 4-byte length above 2^31 as unsigned and refuses it at once", () => {
    const codec = lengthPrefixed({ lengthBytes: 4 });
    assert.throws(
      () => decodeChunks(codec, [bytes(0xff, 0xff, 0xff, 0xfe)]),
      (e: unknown) => e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG" && /4294967294/.test(e.message),
    );
  });

  it("refuses a length over maxLength as soon as the prefix is in, with an actionable message", () => {
    const codec = lengthPrefixed({ lengthBytes: 2, maxLength: 10 });
    assert.deepEqual(decodeChunks(codec, [bytes(0, 10), new Uint8Array(10)]).frames.length, 1);
    assert.throws(
      () => decodeChunks(codec, [bytes(0, 11)]),
      (e: unknown) =>
        e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG" && e.message.startsWith("Frame longer than 10 bytes (lengthPrefixed)"),
    );
    assert.throws(() => codec.encode(new Uint8Array(11)), (e: unknown) => e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG");
  });

  it("defaults maxLength to 1 MiB, or what the length field holds when smaller", () => {
    assert.equal(lengthPrefixed({ lengthBytes: 4 }).maxLength, 1_048_576);
    assert.equal(lengthPrefixed({ lengthBytes: 2 }).maxLength, 65_535);
    const one = lengthPrefixed({ lengthBytes: 1 });
    assert.equal(one.maxLength, 255);
    assert.equal(encoded(one, new Uint8Array(255)).length, 256);
    assert.throws(
      () => one.encode(new Uint8Array(256)),
      (e: unknown) => e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG" && /255 bytes/.test(e.message),
    );
  });

  it("refuses bad options at construction, naming the option", () => {
    const bad: [unknown, RegExp][] = [
      [{ lengthBytes: 3 }, /lengthBytes/],
      [{}, /lengthBytes/],
      [undefined, /lengthBytes/],
      [{ lengthBytes: 2, maxLength: Number.NaN }, /maxLength/],
      [{ lengthBytes: 2, maxLength: -1 }, /maxLength/],
      [{ lengthBytes: 2, maxLength: 0 }, /maxLength/],
      [{ lengthBytes: 2, maxLength: 1.5 }, /maxLength/],
      [{ lengthBytes: 1, maxLength: 256 }, /maxLength 256 does not fit a 1-byte length/],
      [{ lengthBytes: 2, littleEndian: "yes" }, /littleEndian/],
    ];
    for (const [options, message] of bad) {
      assert.throws(
        () => lengthPrefixed(options as Parameters<typeof lengthPrefixed>[0]),
        (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT" && message.test(e.message),
        String(JSON.stringify(options)),
      );
    }
  });

  it("refuses to encode what is not bytes", () => {
    const codec = lengthPrefixed({ lengthBytes: 1 });
    assert.throws(() => codec.encode("hi" as unknown as Uint8Array), (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT");
  });
});
