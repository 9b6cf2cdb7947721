/**
 * An incremental parser of the PROXY protocol header (HAProxy's `proxy-protocol.txt`, v1 text
 * and v2 binary). Pure code: the listener feeds it the first chunks a socket receives.
 *
 * It fails as soon as the bytes seen so far cannot begin a valid header of an accepted version,
 * so a client that does not speak the protocol is refused at once, not at the time-out. It holds
 * at most one header's bytes (107 for v1, 16 + 65535 for v2), and gives back the bytes that
 * follow the header as `rest`.
 *
 * @module
 */

import { TcpError } from "../core/errors.js";
import type { ProxyAcceptVersion, ProxyHeader, ProxyTlv } from "./header.js";
import { ProxyTlvType } from "./header.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "./ip-address.js";
import { invalidProxyHeader } from "./proxy-errors.js";

/** The longest v1 line, CRLF included (the spec's worst case, `PROXY UNKNOWN` with two full IPv6). */
export const V1_MAX_LENGTH = 107;
/** The v2 signature, the first 12 bytes of every v2 header. */
export const V2_SIGNATURE: Uint8Array = Uint8Array.of(0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a);
/** The fixed part of a v2 header: signature, version/command, family/transport, length. */
export const V2_FIXED_LENGTH = 16;
/** The longest v2 header: the 16-bit length field caps it. */
export const V2_MAX_LENGTH = V2_FIXED_LENGTH + 0xffff;

const V1_PREFIX = Buffer.from("PROXY ", "latin1");
/** What may follow `PROXY `; `UNKNOWN` is followed by a space (and anything) or by the CRLF. */
const V1_PROTOCOLS = ["TCP4 ", "TCP6 ", "UNKNOWN ", "UNKNOWN\r"].map((p) => Buffer.from(p, "latin1"));
const CR = 0x0d;
const LF = 0x0a;
/** Address block sizes of the v2 families UNSPEC, INET, INET6, UNIX. */
const V2_ADDRESS_LENGTH = [0, 12, 36, 216] as const;
const UTF8 = new TextDecoder("utf-8", { fatal: true });
/** The first buffer for a header that spans chunks: enough for any v1 line and most v2 headers. */
const MIN_HELD = 128;

/** Options of {@link ProxyHeaderParser}. */
export interface ProxyHeaderParserOptions {
  /**
   * The versions to accept: `true` either, `"v1"` or `"v2"` only that one.
   *
   * @default true
   */
  accept?: ProxyAcceptVersion;
}

/** The result of {@link ProxyHeaderParser.push}. */
export type ProxyParseResult =
  | { readonly status: "need-more" }
  | {
      readonly status: "done";
      /** The header. */
      readonly header: ProxyHeader;
      /** The bytes after the header in the last chunk (a view of it; may be empty). */
      readonly rest: Buffer;
    };

const NEED_MORE: ProxyParseResult = Object.freeze({ status: "need-more" });

/** A complete header and how many bytes it took. */
interface Parsed {
  header: ProxyHeader;
  length: number;
}

/**
 * Parses one PROXY protocol header from the chunks a connection receives.
 *
 * `push` returns `need-more` until the header is complete, then `done` with the header and the
 * bytes that followed it. An invalid header throws a `TcpError` with code `ERR_PROXY_PROTOCOL`
 * and message `Invalid PROXY protocol header: <reason>`; later pushes throw the same error.
 *
 * @example
 * ```ts
 * const parser = new ProxyHeaderParser({ accept: true });
 * socket.on("data", (chunk) => {
 *   const result = parser.push(chunk); // throws on a bad header
 *   if (result.status === "done") serve(result.header, result.rest);
 * });
 * ```
 */
export class ProxyHeaderParser {
  readonly #accept: ProxyAcceptVersion;
  /** Bytes of a header that spans chunks; `undefined` while nothing is held. */
  #held: Buffer | undefined;
  #heldLength = 0;
  /** How many bytes the held header needs at least (its full length once known); `#held` grows toward it. */
  #wanted = 0;
  #finished = false;
  #failure: TcpError | undefined;

  constructor(options: ProxyHeaderParserOptions = {}) {
    const accept = options.accept === undefined ? true : options.accept;
    if (accept !== true && accept !== "v1" && accept !== "v2") {
      throw new TcpError(`proxyProtocol must be true, "v1" or "v2", got ${String(accept)}`, { code: "ERR_INVALID_ARGUMENT" });
    }
    this.#accept = accept;
  }

  /**
   * Feeds the next received chunk. The parser keeps no reference to `chunk` once it returns:
   * bytes it must hold are copied, `rest` is a view of `chunk`.
   *
   * @throws TcpError `ERR_PROXY_PROTOCOL` when the bytes cannot be a valid header.
   */
  push(chunk: Buffer): ProxyParseResult {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#finished) throw new TcpError("The PROXY protocol header was already parsed");
    try {
      return this.#heldLength === 0 ? this.#pushFirst(chunk) : this.#pushMore(chunk);
    } catch (error) {
      this.#held = undefined;
      this.#failure = TcpError.wrap(error, "ERR_PROXY_PROTOCOL");
      throw this.#failure;
    }
  }

  /** The common case: the header starts (and usually ends) in this chunk; no copy then. */
  #pushFirst(chunk: Buffer): ProxyParseResult {
    if (chunk.length === 0) return NEED_MORE;
    const result = examine(chunk, this.#accept);
    if (typeof result !== "number") return this.#done(result, chunk.subarray(result.length));
    this.#held = Buffer.allocUnsafe(Math.min(result, Math.max(2 * chunk.length, MIN_HELD)));
    chunk.copy(this.#held);
    this.#heldLength = chunk.length;
    this.#wanted = result;
    return NEED_MORE;
  }

  /** Copies only as many bytes as the header can still need, so `rest` stays in `chunk`. */
  #pushMore(chunk: Buffer): ProxyParseResult {
    let offset = 0;
    for (;;) {
      const count = Math.min(this.#wanted - this.#heldLength, chunk.length - offset);
      let held = this.#held!;
      if (held.length < this.#heldLength + count) {
        // Grow with what arrived, not with what the header announces: 16 bytes of a v2
        // header must not make a connection reserve 64 KiB.
        held = Buffer.allocUnsafe(Math.min(this.#wanted, Math.max(2 * held.length, this.#heldLength + count)));
        this.#held!.copy(held, 0, 0, this.#heldLength);
        this.#held = held;
      }
      chunk.copy(held, this.#heldLength, offset, offset + count);
      this.#heldLength += count;
      offset += count;
      const result = examine(held.subarray(0, this.#heldLength), this.#accept);
      if (typeof result !== "number") {
        // The header ended `heldLength - length` bytes before the copied end.
        return this.#done(result, chunk.subarray(offset - (this.#heldLength - result.length)));
      }
      // examine() asks for more than it holds, or fails; so this loop always advances.
      this.#wanted = result;
      if (offset === chunk.length) return NEED_MORE;
    }
  }

  #done(parsed: Parsed, rest: Buffer): ProxyParseResult {
    this.#finished = true;
    this.#held = undefined;
    this.#heldLength = 0;
    return { status: "done", header: parsed.header, rest };
  }
}

/**
 * Looks at the bytes of a header so far: a complete header, or the number of bytes it needs
 * at least (always more than `bytes.length`); throws as soon as they cannot be a valid header.
 * The first byte alone tells the versions apart (`P` or CR), so a version that is not accepted
 * is refused at once, with the same reason however the bytes were split.
 */
function examine(bytes: Buffer, accept: ProxyAcceptVersion): Parsed | number {
  const first = bytes[0];
  if (first === V1_PREFIX[0]) {
    if (accept === "v2") throw invalidProxyHeader("version 1 not accepted");
    return examineV1(bytes);
  }
  if (first === V2_SIGNATURE[0]) {
    if (accept === "v1") throw invalidProxyHeader("version 2 not accepted");
    return examineV2(bytes);
  }
  throw invalidProxyHeader("not a PROXY protocol header");
}

/** Whether `bytes` and `prefix` agree on their common length. */
function startsLike(bytes: Uint8Array, prefix: Uint8Array, at = 0): boolean {
  const n = Math.min(bytes.length - at, prefix.length);
  for (let i = 0; i < n; i++) if (bytes[at + i] !== prefix[i]) return false;
  return true;
}

function examineV1(bytes: Buffer): Parsed | number {
  if (!startsLike(bytes, V1_PREFIX)) throw invalidProxyHeader("not a PROXY protocol header");
  if (bytes.length > V1_PREFIX.length && !V1_PROTOCOLS.some((p) => startsLike(bytes, p, V1_PREFIX.length))) {
    throw invalidProxyHeader("bad protocol");
  }
  const n = Math.min(bytes.length, V1_MAX_LENGTH);
  for (let i = V1_PREFIX.length; i < n; i++) {
    const byte = bytes[i];
    if (byte === LF) {
      if (bytes[i - 1] !== CR) throw invalidProxyHeader("line does not end with CRLF");
      return { header: parseV1Line(bytes.toString("latin1", V1_PREFIX.length, i - 1)), length: i + 1 };
    }
    if (byte === CR && i + 1 < n && bytes[i + 1] !== LF) throw invalidProxyHeader("line does not end with CRLF");
  }
  if (n === V1_MAX_LENGTH) throw invalidProxyHeader(`line longer than ${V1_MAX_LENGTH} bytes`);
  return V1_MAX_LENGTH;
}

/** Parses what follows `PROXY ` on a complete line, CRLF excluded. */
function parseV1Line(line: string): ProxyHeader {
  // The receiver ignores whatever follows UNKNOWN (the spec says so).
  if (line === "UNKNOWN" || line.startsWith("UNKNOWN ")) return { version: 1, command: "PROXY", tlvs: [] };
  const ipv6 = line.startsWith("TCP6 ");
  const fields = line.slice(5).split(" ");
  if (fields.length !== 4) throw invalidProxyHeader("wrong number of fields");
  const [sourceHost, destinationHost, sourcePort, destinationPort] = fields as [string, string, string, string];
  return {
    version: 1,
    command: "PROXY",
    source: { host: v1Host(sourceHost, ipv6, "source"), port: v1Port(sourcePort, "source") },
    destination: { host: v1Host(destinationHost, ipv6, "destination"), port: v1Port(destinationPort, "destination") },
    tlvs: [],
  };
}

function v1Host(text: string, ipv6: boolean, which: string): string {
  if (ipv6) {
    const bytes = parseIPv6(text);
    if (bytes !== undefined) return formatIPv6(bytes);
  } else if (parseIPv4(text) !== undefined) {
    return text; // a strict dotted quad is already canonical
  }
  throw invalidProxyHeader(`bad ${which} address`);
}

/** A decimal 0..65535 without sign or leading zeros (senders never write them; we do not guess). */
function v1Port(text: string, which: string): number {
  if (/^(?:0|[1-9][0-9]{0,4})$/.test(text)) {
    const port = Number(text);
    if (port <= 0xffff) return port;
  }
  throw invalidProxyHeader(`bad ${which} port`);
}

function examineV2(bytes: Buffer): Parsed | number {
  if (!startsLike(bytes, V2_SIGNATURE)) throw invalidProxyHeader("bad v2 signature");
  if (bytes.length <= 12) return V2_FIXED_LENGTH;
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) throw invalidProxyHeader(`unsupported version ${versionCommand >> 4}`);
  const local = (versionCommand & 0x0f) === 0;
  if (!local && (versionCommand & 0x0f) !== 1) throw invalidProxyHeader(`unsupported command ${hex(versionCommand & 0x0f)}`);
  if (bytes.length <= 13) return V2_FIXED_LENGTH;
  const familyTransport = bytes[13]!;
  const family = familyTransport >> 4;
  // LOCAL: the receiver discards the whole protocol block, the family byte included.
  if (!local) {
    if (family >= V2_ADDRESS_LENGTH.length) throw invalidProxyHeader(`unsupported family ${hex(familyTransport)}`);
    if ((familyTransport & 0x0f) > 2) throw invalidProxyHeader(`unsupported transport ${hex(familyTransport)}`);
  }
  if (bytes.length < V2_FIXED_LENGTH) return V2_FIXED_LENGTH;
  const length = bytes.readUInt16BE(14);
  const addressLength = local ? 0 : V2_ADDRESS_LENGTH[family as 0 | 1 | 2 | 3];
  if (length < addressLength) throw invalidProxyHeader(`length ${length} too short for family ${hex(familyTransport)}`);
  const total = V2_FIXED_LENGTH + length;
  if (bytes.length < total) return total;
  if (local) return { header: { version: 2, command: "LOCAL", tlvs: [] }, length: total };
  return { header: parseV2Body(bytes, family, total), length: total };
}

/** The addresses and TLVs of a complete v2 PROXY header of `total` bytes. */
function parseV2Body(bytes: Buffer, family: number, total: number): ProxyHeader {
  const header: ProxyHeader = { version: 2, command: "PROXY", tlvs: [] };
  const at = V2_FIXED_LENGTH;
  if (family === 1) {
    header.source = { host: formatIPv4(bytes, at), port: bytes.readUInt16BE(at + 8) };
    header.destination = { host: formatIPv4(bytes, at + 4), port: bytes.readUInt16BE(at + 10) };
  } else if (family === 2) {
    header.source = { host: formatIPv6(bytes, at), port: bytes.readUInt16BE(at + 32) };
    header.destination = { host: formatIPv6(bytes, at + 16), port: bytes.readUInt16BE(at + 34) };
  } else if (family === 0) {
    // UNSPEC: the spec tells the receiver to ignore the block; its layout is unknown.
    return header;
  }
  // UNIX (family 3) paths are not host/port addresses; only its TLVs are kept.
  const start = at + V2_ADDRESS_LENGTH[family as 1 | 2 | 3];
  // One exact-size copy for all values: they outlive the chunk, and must not pin a pool slab.
  if (start < total) parseTlvs(Buffer.from(new Uint8Array(bytes.subarray(start, total)).buffer), header);
  return header;
}

/** Splits the TLV block (a private copy: values are views of it) and decodes ALPN and AUTHORITY. */
function parseTlvs(block: Buffer, header: ProxyHeader): void {
  let offset = 0;
  while (offset < block.length) {
    if (block.length - offset < 3) throw invalidProxyHeader("truncated TLV");
    const type = block[offset]!;
    const length = block.readUInt16BE(offset + 1);
    const end = offset + 3 + length;
    if (end > block.length) throw invalidProxyHeader(`TLV ${hex(type)} longer than the header`);
    const value = block.subarray(offset + 3, end);
    const tlv: ProxyTlv = { type, value };
    header.tlvs.push(tlv);
    if (type === ProxyTlvType.ALPN && header.alpn === undefined) header.alpn = utf8(value, "ALPN");
    else if (type === ProxyTlvType.AUTHORITY && header.authority === undefined) header.authority = utf8(value, "authority");
    offset = end;
  }
}

function utf8(value: Uint8Array, name: string): string {
  try {
    return UTF8.decode(value);
  } catch {
    throw invalidProxyHeader(`${name} TLV is not UTF-8`);
  }
}

/** `0x` and two hex digits. */
function hex(byte: number): string {
  return `0x${byte.toString(16).padStart(2, "0")}`;
}
