/**
 * A worked example of a user-written codec: Redis's RESP2 protocol, written
 * only against tcpkit's public framing interface. One frame is one whole
 * reply or command, however deeply its arrays nest.
 *
 * The decoder is incremental: it remembers where the next element starts,
 * the arrays still being filled, and how far the current line's "\r\n" has
 * been searched for, so bytes arriving one at a time are each looked at about
 * once. It keeps built values, never raw bytes: those stay in the connection's
 * queue until the whole frame is taken.
 */
import { TcpError, type ByteView, type Codec, type DecodedFrame, type Decoder } from "../../src/index.js";

/** One RESP2 value. */
export type RespValue =
  | { readonly type: "simple"; readonly value: string }
  | { readonly type: "error"; readonly message: string }
  | { readonly type: "integer"; readonly value: number }
  | { readonly type: "bulk"; readonly value: Uint8Array | null }
  | { readonly type: "array"; readonly value: readonly RespValue[] | null };

/** Bytes that are not RESP; the stream cannot be resynchronised after them. */
export class RespProtocolError extends Error {
  override readonly name = "RespProtocolError";
}

const CR = 0x0d;
const LF = 0x0a;
const CRLF = Uint8Array.of(CR, LF);
const DEFAULT_MAX_LENGTH = 512 * 1024 * 1024; // Redis's own proto-max-bulk-len
const latin1 = new TextDecoder("latin1");
const utf8 = new TextDecoder();

/** An array still being filled. */
interface OpenArray {
  readonly items: RespValue[];
  remaining: number;
}

class RespDecoder implements Decoder<RespValue> {
  readonly #maxLength: number;
  /** Where the next element's type byte is. */
  #pos = 0;
  /** Where the search for the current header line's "\r\n" goes on. */
  #lineFrom = 0;
  readonly #open: OpenArray[] = [];

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  decode(view: ByteView): DecodedFrame<RespValue> | undefined {
    for (;;) {
      const pos = this.#pos;
      if (pos >= view.length) return undefined;
      const lineEnd = view.indexOf(CRLF, Math.max(this.#lineFrom, pos + 1));
      if (lineEnd === -1) {
        // Everything buffered belongs to this unfinished frame.
        if (view.length > this.#maxLength) throw this.#tooLong();
        this.#lineFrom = Math.max(pos + 1, view.length - 1);
        return undefined;
      }
      const line = (): string => latin1.decode(view.slice(pos + 1, lineEnd));
      let next = lineEnd + 2;
      let value: RespValue;
      switch (view.byteAt(pos)) {
        case 0x2b: // '+'
          value = { type: "simple", value: utf8.decode(view.slice(pos + 1, lineEnd)) };
          break;
        case 0x2d: // '-'
          value = { type: "error", message: utf8.decode(view.slice(pos + 1, lineEnd)) };
          break;
        case 0x3a: // ':'
          value = { type: "integer", value: parseInteger(line()) };
          break;
        case 0x24: {
          // '$': a length, the bytes, "\r\n"; -1 is the null bulk string.
          const size = parseInteger(line());
          if (size === -1) {
            value = { type: "bulk", value: null };
            break;
          }
          if (size < 0) throw new RespProtocolError(`bad bulk length ${size}`);
          const end = next + size;
          if (end + 2 > this.#maxLength) throw this.#tooLong();
          if (view.length < end + 2) {
            this.#lineFrom = lineEnd; // finds this header again at once
            return undefined;
          }
          if (view.byteAt(end) !== CR || view.byteAt(end + 1) !== LF) {
            throw new RespProtocolError("bulk string not followed by \\r\\n");
          }
          value = { type: "bulk", value: view.slice(next, end) };
          next = end + 2;
          break;
        }
        case 0x2a: {
          // '*': a count, then that many elements; -1 is the null array.
          const count = parseInteger(line());
          if (count < -1) throw new RespProtocolError(`bad array length ${count}`);
          if (count > 0) {
            // Each element takes at least 3 bytes ("+\r\n"): refuse a count that cannot fit.
            if (next + 3 * count > this.#maxLength) throw this.#tooLong();
            this.#open.push({ items: [], remaining: count });
            this.#pos = this.#lineFrom = next;
            continue;
          }
          value = { type: "array", value: count === 0 ? [] : null };
          break;
        }
        default:
          throw new RespProtocolError(`unknown type byte 0x${view.byteAt(pos).toString(16)}`);
      }
      this.#pos = this.#lineFrom = next;
      if (next > this.#maxLength) throw this.#tooLong();
      const done = this.#place(value);
      if (done !== undefined) {
        this.#pos = this.#lineFrom = 0;
        return { frame: done, consumed: next };
      }
    }
  }

  /** Puts a finished value into the innermost open array; returns the frame once the outermost is full. */
  #place(finished: RespValue): RespValue | undefined {
    let value = finished;
    for (;;) {
      const top = this.#open.at(-1);
      if (top === undefined) return value;
      top.items.push(value);
      if (--top.remaining > 0) return undefined;
      this.#open.pop();
      value = { type: "array", value: top.items };
    }
  }

  #tooLong(): TcpError {
    return new TcpError(`Frame longer than ${this.#maxLength} bytes (resp)`, { code: "ERR_FRAME_TOO_LONG" });
  }
}

function parseInteger(line: string): number {
  const value = Number(line);
  if (!/^-?\d+$/.test(line) || !Number.isSafeInteger(value)) {
    throw new RespProtocolError(`bad integer ${JSON.stringify(line)}`);
  }
  return value;
}

/** Appends the bytes of `value` to `parts`. */
function encodeInto(value: RespValue, parts: Uint8Array[]): void {
  const header = (text: string): void => {
    parts.push(Buffer.from(text + "\r\n", "utf8"));
  };
  switch (value.type) {
    case "simple":
    case "error": {
      const text = value.type === "simple" ? value.value : value.message;
      if (/[\r\n]/.test(text)) {
        throw new TcpError(`A RESP ${value.type} string cannot hold "\\r" or "\\n"`, { code: "ERR_INVALID_ARGUMENT" });
      }
      header((value.type === "simple" ? "+" : "-") + text);
      return;
    }
    case "integer":
      if (!Number.isSafeInteger(value.value)) {
        throw new TcpError(`A RESP integer must be a safe integer, got ${value.value}`, { code: "ERR_INVALID_ARGUMENT" });
      }
      header(`:${value.value}`);
      return;
    case "bulk":
      if (value.value === null) return header("$-1");
      header(`$${value.value.length}`);
      parts.push(value.value, CRLF);
      return;
    case "array":
      if (value.value === null) return header("*-1");
      header(`*${value.value.length}`);
      for (const item of value.value) encodeInto(item, parts);
      return;
  }
}

/**
 * The RESP2 codec; `maxLength` bounds one whole frame (default 512 MiB, as
 * Redis bounds a bulk string).
 */
export function resp(options: { maxLength?: number } = {}): Codec<RespValue> {
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  return {
    maxLength,
    createDecoder: () => new RespDecoder(maxLength),
    encode(frame: RespValue): Uint8Array[] {
      const parts: Uint8Array[] = [];
      encodeInto(frame, parts);
      const size = parts.reduce((sum, part) => sum + part.length, 0);
      if (size > maxLength) throw new TcpError(`Frame longer than ${maxLength} bytes (resp)`, { code: "ERR_FRAME_TOO_LONG" });
      return parts;
    },
  };
}

/** A command as Redis clients send it: an array of bulk strings. */
export function command(...args: string[]): RespValue {
  return { type: "array", value: args.map((arg) => ({ type: "bulk", value: Buffer.from(arg, "utf8") })) };
}
