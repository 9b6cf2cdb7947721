/**
 * Bytes as the public API takes them, and their conversion to a Buffer.
 *
 * @module
 */
import { TcpError } from "./errors.js";

/** Bytes in, as the public API takes them. */
export type ByteData = Uint8Array | string;

/** Turns user data into a Buffer without copying a Uint8Array. */
export function toBuffer(data: ByteData): Buffer {
  if (typeof data === "string") return Buffer.from(data, "utf8");
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TcpError("data must be a Uint8Array or a string", { code: "ERR_INVALID_ARGUMENT" });
}
