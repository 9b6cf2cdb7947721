import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ByteQueue } from "../src/core/byte-queue.js";
import { delimited, lines, type Codec } from "../src/framing/index.js";
import { CountingView } from "./helpers/framing.js";
import { resp } from "./helpers/resp-codec.js";

const MiB = 1_048_576;

/**
 * Feeds `wire` into a queue one byte at a time, asking the decoder after each
 * byte, and returns the frames and how many bytes the decoder examined.
 */
function feedByteByByte<T>(codec: Codec<T>, wire: Buffer): { frames: T[]; examined: number; left: number } {
  const queue = new ByteQueue();
  const view = new CountingView(queue);
  const decoder = codec.createDecoder();
  const frames: T[] = [];
  for (let i = 0; i < wire.length; i++) {
    queue.push(wire.subarray(i, i + 1));
    const found = decoder.decode(view);
    if (found !== undefined) {
      frames.push(found.frame);
      queue.skip(found.consumed);
    }
  }
  return { frames, examined: view.examined, left: queue.length };
}

describe("decoding a 1 MiB frame fed one byte at a time is linear (bytes examined, not time)", () => {
  it("lines(): each byte is searched once, and copied once", () => {
    const payload = Buffer.alloc(MiB, 0x61);
    const { frames, examined, left } = feedByteByByte(lines(), Buffer.concat([payload, Buffer.from("\r\n")]));
    assert.equal(frames.length, 1);
    assert.ok(payload.equals(frames[0]!));
    assert.equal(left, 0);
    assert.ok(examined <= 3 * MiB, `examined ${examined} bytes for a ${MiB}-byte line`);
  });

  it("delimited() with a 4-byte delimiter that arrives split over four chunks", () => {
    const delimiter = Buffer.from("\r\n\r\n");
    const payload = Buffer.alloc(MiB, 0x0d); // full of delimiter prefixes: the hard case
    const { frames, examined, left } = feedByteByByte(delimited(delimiter), Buffer.concat([payload, delimiter]));
    assert.equal(frames.length, 1);
    assert.ok(payload.equals(frames[0]!));
    assert.equal(left, 0);
    // Each call looks at the last delimiter.length - 1 bytes again, and at the new byte.
    assert.ok(examined <= (delimiter.length + 2) * MiB, `examined ${examined} bytes for a ${MiB}-byte frame`);
  });

  it("the RESP example: a 256 KiB bulk string inside an array", () => {
    const size = 256 * 1024;
    const payload = Buffer.alloc(size, 0x62);
    const wire = Buffer.concat([Buffer.from(`*1\r\n$${size}\r\n`), payload, Buffer.from("\r\n")]);
    const { frames, examined, left } = feedByteByByte(resp(), wire);
    assert.deepEqual(frames, [{ type: "array", value: [{ type: "bulk", value: payload }] }]);
    assert.equal(left, 0);
    // Each call reads the bulk string's short header line again (it keeps no bytes), then the new byte.
    assert.ok(examined <= 16 * size, `examined ${examined} bytes for a ${size}-byte bulk string`);
  });
});
