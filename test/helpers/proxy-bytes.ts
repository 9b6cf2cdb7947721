/**
 * Builders of raw PROXY protocol bytes for tests, written independently of the encoder so that
 * tests can make headers the encoder never would (LOCAL, UNIX, TLVs, bad lengths).
 */

import type { ProxyAcceptVersion, ProxyParseResult } from "../../src/proxy/index.js";
import { ProxyHeaderParser } from "../../src/proxy/index.js";

export const SIGNATURE = Buffer.from("0d0a0d0a000d0a515549540a", "hex");

/** One TLV: type, 16-bit length, value. */
export function tlv(type: number, value: Uint8Array | string): Buffer {
  const bytes = typeof value === "string" ? Buffer.from(value, "utf8") : Buffer.from(value);
  const head = Buffer.alloc(3);
  head[0] = type;
  head.writeUInt16BE(bytes.length, 1);
  return Buffer.concat([head, bytes]);
}

/** A v2 header: signature, the version/command and family bytes, the length (of `body` unless given), `body`. */
export function v2(versionCommand: number, family: number, body: Uint8Array = Buffer.alloc(0), length = body.length): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = versionCommand;
  fixed[1] = family;
  fixed.writeUInt16BE(length, 2);
  return Buffer.concat([SIGNATURE, fixed, body]);
}

/** The 12-byte INET address block. */
export function inet(source: string, destination: string, sourcePort: number, destinationPort: number): Buffer {
  const out = Buffer.alloc(12);
  Buffer.from(source.split(".").map(Number)).copy(out, 0);
  Buffer.from(destination.split(".").map(Number)).copy(out, 4);
  out.writeUInt16BE(sourcePort, 8);
  out.writeUInt16BE(destinationPort, 10);
  return out;
}

/** The 36-byte INET6 address block, from two 16-byte hex strings. */
export function inet6(sourceHex: string, destinationHex: string, sourcePort: number, destinationPort: number): Buffer {
  const ports = Buffer.alloc(4);
  ports.writeUInt16BE(sourcePort, 0);
  ports.writeUInt16BE(destinationPort, 2);
  return Buffer.concat([Buffer.from(sourceHex, "hex"), Buffer.from(destinationHex, "hex"), ports]);
}

/** Pushes the chunks in order until the parser is done or throws; the chunks it never saw are returned too. */
export function feed(chunks: readonly Uint8Array[], accept: ProxyAcceptVersion = true): { result: ProxyParseResult; unread: Buffer } {
  const parser = new ProxyHeaderParser({ accept });
  let result: ProxyParseResult = { status: "need-more" };
  let i = 0;
  while (i < chunks.length && result.status === "need-more") result = parser.push(Buffer.from(chunks[i++]!));
  return { result, unread: Buffer.concat(chunks.slice(i)) };
}

/** Splits `bytes` at the given cut points (any numbers; taken modulo the length, sorted, deduplicated). */
export function splitAt(bytes: Uint8Array, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    out.push(Buffer.from(bytes.subarray(from, p)));
    from = p;
  }
  out.push(Buffer.from(bytes.subarray(from)));
  return out;
}
