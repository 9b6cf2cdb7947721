import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { lines } from "../src/framing/index.js";
import { TcpError } from "../src/index.js";
import { decodeChunks, encoded } from "./helpers/framing.js";

const strings = (frames: Uint8Array[]): string[] => frames.map((f) => Buffer.from(f).toString("latin1"));
const chunks = (...parts: string[]): Buffer[] => parts.map((p) => Buffer.from(p, "latin1"));
const tooLong = (limit: number) => (e: unknown) =>
  e instanceof TcpError && e.code === "ERR_FRAME_TOO_LONG" && e.message.startsWith(`Frame longer than ${limit} bytes (lines)`);

describe("lines", () => {
  it('ends a line at "\\n" or "\\r\\n", dropping one trailing "\\r"', () => {
    const { frames, left } = decodeChunks(lines(), chunks("HELO a\r\nMAIL\n\r\n\n", "x\r\r\nrest"));
    assert.deepEqual(strings(frames), ["HELO a", "MAIL", "", "", "x\r"]);
    assert.equal(left, 4);
  });

  it('finds "\\r\\n" split across chunks', () => {
    assert.deepEqual(strings(decodeChunks(lines(), chunks("abc\r", "\ndef\r", "\n")).frames), ["abc", "def"]);
    assert.deepEqual(decodeChunks(lines(), chunks("abc\r")), { frames: [], left: 4 });
  });

  it('encodes the line followed by "\\r\\n"', () => {
    assert.deepEqual(encoded(lines(), Buffer.from("QUIT")), Buffer.from("QUIT\r\n"));
    assert.deepEqual(strings(decodeChunks(lines(), [encoded(lines(), Buffer.from("a\r"))]).frames), ["a\r"]);
  });

  it('refuses to encode a line holding "\\n" (it would inject a second line)', () => {
    assert.throws(
      () => lines().encode(Buffer.from("RCPT\nDATA")),
      (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT" && /^lines: /.test(e.message),
    );
  });

  it('counts maxLength without the line end, and refuses a longer line as soon as it is proven', () => {
    const codec = lines({ maxLength: 3 });
    assert.deepEqual(strings(decodeChunks(codec, chunks("abc\r\nabc\n")).frames), ["abc", "abc"]);
    // "abc\r" may still be a 3-byte line; "abcd" cannot be.
    assert.equal(decodeChunks(codec, chunks("abc\r")).left, 4);
    assert.throws(() => decodeChunks(codec, chunks("abcd")), tooLong(3));
    assert.throws(() => decodeChunks(codec, chunks("abc\rx")), tooLong(3));
    assert.throws(() => decodeChunks(codec, chunks("abc\r\r\n")), tooLong(3));
    assert.throws(() => codec.encode(Buffer.from("abcd")), tooLong(3));
  });

  it("defaults maxLength to 1 MiB, and the error says which codec and limit", () => {
    const codec = lines();
    assert.equal(codec.maxLength, 1_048_576);
    assert.throws(() => decodeChunks(codec, [Buffer.alloc(1_048_578, 0x61)]), tooLong(1_048_576));
  });

  it("refuses a bad maxLength at construction, naming it", () => {
    for (const maxLength of [0, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => lines({ maxLength }),
        (e: unknown) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT" && /^lines: maxLength must be a positive integer/.test(e.message),
        String(maxLength),
      );
    }
  });
});
