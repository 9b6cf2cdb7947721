/**
 * Frames of one fixed size.
 *
 * @module
 */
import type { ByteView, Codec, DecodedFrame, Decoder } from "./codec.js";
import { checkBytes, frameTooLong, invalidOption, positiveInteger } from "./limits.js";

/**
 * A codec whose every frame is exactly `size` bytes (no header, no
 * delimiter). `maxLength` is `size`.
 *
 * @param size - the frame size in bytes, a positive integer.
 * @throws TcpError `ERR_INVALID_ARGUMENT` when `size` is not a positive integer.
 *
 * @example
 * ```ts
 * const records = fixed(16);
 * const record = await client.readFrame(records); // 16 bytes
 * ```
 */
export function fixed(size: number): Codec<Uint8Array> {
  const frameSize = positiveInteger("fixed", "size", size);
  const decoder: Decoder<Uint8Array> = {
    // No state to keep: one decoder serves every connection.
    decode(view: ByteView): DecodedFrame<Uint8Array> | undefined {
      if (view.length < frameSize) return undefined;
      return { frame: view.slice(0, frameSize), consumed: frameSize };
    },
  };
  return {
    maxLength: frameSize,
    createDecoder: () => decoder,
    encode(frame: Uint8Array): Uint8Array {
      checkBytes("fixed", frame);
      if (frame.length > frameSize) throw frameTooLong("fixed", frameSize, `cannot encode ${frame.length} bytes`);
      if (frame.length < frameSize) {
        throw invalidOption("fixed", `a frame must be exactly ${frameSize} bytes, got ${frame.length}`);
      }
      return frame;
    },
  };
}
