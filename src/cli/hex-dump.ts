/**
 * A hex dump in the `hexdump -C` layout, fed chunk by chunk as bytes arrive:
 * offsets run on across chunks, and each chunk is shown at once (its last
 * line may be short) so an interactive session never waits for 16 bytes.
 *
 * @module
 */

const BYTES_PER_LINE = 16;

/** Formats successive chunks of one stream. */
export class HexDump {
  #offset = 0;

  /** The lines (each ending in a newline) for the next chunk of the stream. */
  format(chunk: Uint8Array): string {
    let text = "";
    for (let start = 0; start < chunk.length; start += BYTES_PER_LINE) {
      const line = chunk.subarray(start, start + BYTES_PER_LINE);
      text += `${formatLine(this.#offset, line)}\n`;
      this.#offset += line.length;
    }
    return text;
  }
}

/** `00000010  48 65 6c 6c 6f 0a 00 ...  |Hello..|`, with the gap after the 8th byte. */
function formatLine(offset: number, bytes: Uint8Array): string {
  let hex = "";
  let ascii = "";
  for (let i = 0; i < BYTES_PER_LINE; i++) {
    if (i === 8) hex += " ";
    const byte = bytes[i];
    if (byte === undefined) {
      hex += "   ";
      continue;
    }
    hex += `${byte.toString(16).padStart(2, "0")} `;
    ascii += byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".";
  }
  return `${offset.toString(16).padStart(8, "0")}  ${hex} |${ascii}|`;
}
