/**
 * Framing: codecs that turn a byte stream into messages and back. The
 * integrator re-exports these from the package root.
 *
 * @module
 */
export type { ByteView, Codec, DecodedFrame, Decoder } from "./codec.js";
export { delimited } from "./delimited.js";
export type { DelimitedOptions } from "./delimited.js";
export { fixed } from "./fixed.js";
export { lengthPrefixed } from "./length-prefixed.js";
export type { LengthPrefixedOptions } from "./length-prefixed.js";
export { lines } from "./lines.js";
export type { LinesOptions } from "./lines.js";
