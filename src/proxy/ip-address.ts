/**
 * IP address literals to bytes and back, for the PROXY protocol header and the
 * trusted-proxy matcher. Pure code; `net.isIPv4` / `net.isIPv6` only check syntax.
 *
 * @module
 */

import { isIPv4, isIPv6 } from "node:net";

/** The four bytes of a strict dotted quad (no leading zeros), or `undefined`. */
export function parseIPv4(text: string): Uint8Array | undefined {
  if (!isIPv4(text)) return undefined;
  const out = new Uint8Array(4);
  let i = 0;
  for (const part of text.split(".")) out[i++] = Number(part);
  return out;
}

/**
 * The sixteen bytes of an IPv6 literal (`::` and a trailing dotted quad allowed), or
 * `undefined`. A zone (`%eth0`) is refused: it has no meaning off the host.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.includes("%") || !isIPv6(text)) return undefined;
  const gap = text.indexOf("::");
  const head = gap === -1 ? wordsOf(text) : wordsOf(text.slice(0, gap));
  const tail = gap === -1 ? [] : wordsOf(text.slice(gap + 2));
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (gap === -1 ? missing !== 0 : missing < 1) return undefined;
  const words = gap === -1 ? head : [...head, ...new Array<number>(missing).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((word, i) => {
    out[2 * i] = word >> 8;
    out[2 * i + 1] = word & 0xff;
  });
  return out;
}

/** The 16-bit words of colon-separated hex groups, the last of which may be a dotted quad. */
function wordsOf(text: string): number[] | undefined {
  if (text === "") return [];
  const words: number[] = [];
  for (const group of text.split(":")) {
    if (group.includes(".")) {
      const v4 = parseIPv4(group);
      if (v4 === undefined) return undefined;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      words.push(Number.parseInt(group, 16));
    }
  }
  return words;
}

/** Dotted quad of the four bytes at `offset`. */
export function formatIPv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * The canonical text of the sixteen bytes at `offset`, the same as Node reports for a socket
 * (`inet_ntop`): lower-case hex, the longest run of two or more zero words (the first on a tie)
 * as `::`, and IPv4-mapped (`::ffff:a.b.c.d`) and IPv4-compatible (`::a.b.c.d`) in dotted form.
 */
export function formatIPv6(bytes: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) [bestStart, bestLength] = [i, j - i];
    i = j;
  }
  if (bestLength < 2) return words.map((w) => w.toString(16)).join(":");
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
    return `::${bestLength === 5 ? "ffff:" : ""}${formatIPv4(bytes, offset + 12)}`;
  }
  const hex = (from: number, to: number): string => words.slice(from, to).map((w) => w.toString(16)).join(":");
  return `${hex(0, bestStart)}::${hex(bestStart + bestLength, 8)}`;
}

/** The canonical form of an IPv6 literal (see {@link formatIPv6}), or `undefined` if it is not one. */
export function canonicalIPv6(text: string): string | undefined {
  const bytes = parseIPv6(text);
  return bytes === undefined ? undefined : formatIPv6(bytes);
}
