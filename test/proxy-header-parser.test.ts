import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TcpError } from "../src/core/errors.js";
import type { ProxyAcceptVersion, ProxyHeader } from "../src/proxy/index.js";
import { ProxyHeaderParser, ProxyTlvType, V1_MAX_LENGTH, V2_MAX_LENGTH } from "../src/proxy/index.js";
import { SIGNATURE, feed, inet, inet6, splitAt, tlv, v2 } from "./helpers/proxy-bytes.js";

const SEED = 0x50524f58; // "PROX": every property below is reproducible.
const PROXY_V2 = 0x21;
const LOCAL_V2 = 0x20;

/** Parses one header given whole; fails the test unless it is complete. */
function parse(bytes: Uint8Array | string, accept: ProxyAcceptVersion = true): { header: ProxyHeader; rest: Buffer } {
  const result = new ProxyHeaderParser({ accept }).push(typeof bytes === "string" ? Buffer.from(bytes, "latin1") : Buffer.from(bytes));
  assert.equal(result.status, "done");
  return result;
}

/** Asserts that pushing `chunks` in order throws the PROXY error with this reason at the last chunk, not before. */
function failsAt(chunks: readonly (Uint8Array | string)[], reason: string, accept: ProxyAcceptVersion = true): void {
  const parser = new ProxyHeaderParser({ accept });
  const buffers = chunks.map((c) => (typeof c === "string" ? Buffer.from(c, "latin1") : Buffer.from(c)));
  for (const chunk of buffers.slice(0, -1)) assert.equal(parser.push(chunk).status, "need-more");
  assert.throws(() => parser.push(buffers.at(-1)!), isProxyError(reason));
}

function isProxyError(reason: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TcpError);
    assert.equal(error.code, "ERR_PROXY_PROTOCOL");
    assert.equal(error.message, `Invalid PROXY protocol header: ${reason}`);
    return true;
  };
}

const ffff6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";

describe("ProxyHeaderParser, v1", () => {
  it("parses HAProxy's example lines", () => {
    assert.deepEqual(parse("PROXY TCP4 255.255.255.255 255.255.255.255 65535 65535\r\n").header, {
      version: 1,
      command: "PROXY",
      source: { host: "255.255.255.255", port: 65535 },
      destination: { host: "255.255.255.255", port: 65535 },
      tlvs: [],
    });
    assert.deepEqual(parse(`PROXY TCP6 ${ffff6} ${ffff6} 65535 65535\r\n`).header, {
      version: 1,
      command: "PROXY",
      source: { host: ffff6, port: 65535 },
      destination: { host: ffff6, port: 65535 },
      tlvs: [],
    });
    assert.deepEqual(parse("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n").header.source, { host: "192.168.0.1", port: 56324 });
    assert.deepEqual(parse("PROXY TCP4 0.0.0.0 0.0.0.0 0 0\r\n").header.destination, { host: "0.0.0.0", port: 0 });
  });

  it("treats UNKNOWN as PROXY without addresses, ignoring what follows it", () => {
    const bare = { version: 1, command: "PROXY", tlvs: [] };
    assert.deepEqual(parse("PROXY UNKNOWN\r\n").header, bare);
    // The spec's worst case is exactly 107 bytes, and still a valid header.
    const worst = `PROXY UNKNOWN ${ffff6} ${ffff6} 65535 65535\r\n`;
    assert.equal(worst.length, V1_MAX_LENGTH);
    assert.deepEqual(parse(worst).header, bare);
    assert.deepEqual(parse("PROXY UNKNOWN anything at all, even \x01\r\n").header, bare);
  });

  it("gives IPv6 addresses in canonical form, as a socket reports them", () => {
    const { header } = parse("PROXY TCP6 2001:DB8:0:0:0:0:0:1 ::FFFF:192.0.2.1 1 2\r\n");
    assert.equal(header.source?.host, "2001:db8::1");
    assert.equal(header.destination?.host, "::ffff:192.0.2.1");
  });

  it("returns the bytes after the line as rest, as a view of the same chunk", () => {
    const chunk = Buffer.from("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\nGET / HTTP/1.1\r\n\r\n");
    const { rest } = parse(chunk);
    assert.equal(rest.toString(), "GET / HTTP/1.1\r\n\r\n");
    const exact = parse("PROXY UNKNOWN\r\n");
    assert.equal(exact.rest.length, 0);
  });

  it("parses a line fed one byte at a time, and keeps what follows in the last chunk", () => {
    const line = "PROXY TCP4 10.0.0.1 10.0.0.2 1234 80\r\n";
    const parser = new ProxyHeaderParser();
    for (const byte of Buffer.from(line.slice(0, -1))) assert.equal(parser.push(Buffer.of(byte)).status, "need-more");
    const result = parser.push(Buffer.from("\nhello"));
    assert.equal(result.status, "done");
    assert.equal(result.rest.toString(), "hello");
    assert.deepEqual(result.header.source, { host: "10.0.0.1", port: 1234 });
  });

  it("refuses bad addresses, naming which", () => {
    failsAt(["PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"], "bad source address");
    failsAt(["PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"], "bad source address");
    failsAt(["PROXY TCP4 256.2.3.4 5.6.7.8 1 2\r\n"], "bad source address");
    failsAt(["PROXY TCP4 ::1 5.6.7.8 1 2\r\n"], "bad source address");
    failsAt(["PROXY TCP4 1.2.3.4 ::1 1 2\r\n"], "bad destination address");
    failsAt(["PROXY TCP6 1.2.3.4 ::1 1 2\r\n"], "bad source address");
    failsAt(["PROXY TCP6 ::1 fe80::1%eth0 1 2\r\n"], "bad destination address");
    failsAt(["PROXY TCP6 ::1 1::2::3 1 2\r\n"], "bad destination address");
    failsAt(["PROXY TCP4 localhost 5.6.7.8 1 2\r\n"], "bad source address");
  });

  it("refuses ports out of range, signed, with leading zeros or not decimal", () => {
    for (const port of ["65536", "99999", "100000", "-1", "+1", "01", "00", "1a", "0x10", "1.0", "١"]) {
      failsAt([`PROXY TCP4 1.2.3.4 5.6.7.8 ${port} 2\r\n`], "bad source port");
      failsAt([`PROXY TCP4 1.2.3.4 5.6.7.8 1 ${port}\r\n`], "bad destination port");
    }
  });

  it("refuses a wrong number of fields and stray spaces", () => {
    failsAt(["PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"], "wrong number of fields");
    failsAt(["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"], "wrong number of fields");
    failsAt(["PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"], "wrong number of fields");
    failsAt(["PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"], "wrong number of fields");
    failsAt(["PROXY TCP4 \r\n"], "wrong number of fields");
  });

  it("fails at once on bytes that cannot start a v1 line", () => {
    failsAt(["G"], "not a PROXY protocol header");
    failsAt(["PRO", "Z"], "not a PROXY protocol header");
    failsAt(["PROXY", "\t"], "not a PROXY protocol header");
    failsAt(["POST / HTTP/1.1"], "not a PROXY protocol header");
    failsAt(["PROXY TCP", "5"], "bad protocol");
    failsAt(["PROXY U", "D"], "bad protocol");
    failsAt(["PROXY UNKNOWN", "X"], "bad protocol");
    failsAt(["PROXY tcp4"], "bad protocol");
    failsAt(["PROXY  TCP4"], "bad protocol");
    failsAt(["PROXY \r\n"], "bad protocol");
  });

  it("fails at once on a line ending that is not CRLF", () => {
    failsAt(["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"], "line does not end with CRLF");
    failsAt(["PROXY UNKNOWN\r", "x"], "line does not end with CRLF");
    failsAt(["PROXY UNKNOWN \rx"], "line does not end with CRLF");
  });

  it("fails when 107 bytes hold no CRLF: at the 107th byte, not before and not at a time-out", () => {
    const long = Buffer.from(`PROXY UNKNOWN ${"x".repeat(200)}`);
    const parser = new ProxyHeaderParser();
    for (let i = 0; i < V1_MAX_LENGTH - 1; i++) assert.equal(parser.push(long.subarray(i, i + 1)).status, "need-more");
    assert.throws(() => parser.push(long.subarray(V1_MAX_LENGTH - 1, V1_MAX_LENGTH)), isProxyError("line longer than 107 bytes"));
    failsAt([long], "line longer than 107 bytes");
    // 108 bytes with the CRLF at the end: the LF is the 108th byte, one too many.
    const line108 = `PROXY UNKNOWN ${"y".repeat(V1_MAX_LENGTH - 16 + 1)}\r\n`;
    assert.equal(line108.length, V1_MAX_LENGTH + 1);
    failsAt([line108], "line longer than 107 bytes");
    // A CR as the 107th byte: its LF cannot fit.
    failsAt([`${line108.slice(0, V1_MAX_LENGTH - 1)}\r`], "line longer than 107 bytes");
  });

  it("refuses version 1 when only v2 is accepted, at the first byte", () => {
    failsAt(["PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n"], "version 1 not accepted", "v2");
    failsAt(["P"], "version 1 not accepted", "v2");
    // The first byte decides: a plain client's "POST" is refused the same way, at once.
    failsAt(["POST /"], "version 1 not accepted", "v2");
    assert.equal(parse("PROXY UNKNOWN\r\n", "v1").header.version, 1);
  });
});

describe("ProxyHeaderParser, v2", () => {
  it("parses a header captured from HAProxy (INET, STREAM) and keeps the request after it", () => {
    const captured = Buffer.from("0d0a0d0a000d0a515549540a2111000cac130001ac130003a652005047455420", "hex");
    const { header, rest } = parse(Buffer.concat([captured, Buffer.from("/ HTTP/1.1\r\n")]));
    assert.deepEqual(header, {
      version: 2,
      command: "PROXY",
      source: { host: "172.19.0.1", port: 42578 },
      destination: { host: "172.19.0.3", port: 80 },
      tlvs: [],
    });
    assert.equal(rest.toString(), "GET / HTTP/1.1\r\n");
  });

  it("parses INET6 addresses into canonical text", () => {
    const body = inet6("20010db8000000000000000000000001", "00000000000000000000ffffc0000201", 443, 8443);
    const { header } = parse(v2(PROXY_V2, 0x21, body));
    assert.deepEqual(header.source, { host: "2001:db8::1", port: 443 });
    assert.deepEqual(header.destination, { host: "::ffff:192.0.2.1", port: 8443 });
  });

  it("keeps every TLV in order and decodes ALPN and AUTHORITY as UTF-8", () => {
    const ssl = Buffer.concat([Buffer.from([0x07, 0, 0, 0, 0]), tlv(0x21, "TLSv1.3"), tlv(0x22, "client")]);
    const tlvs = [
      tlv(ProxyTlvType.ALPN, "h2"),
      tlv(ProxyTlvType.AUTHORITY, "bücher.example"),
      tlv(ProxyTlvType.CRC32C, Buffer.from([1, 2, 3, 4])),
      tlv(ProxyTlvType.NOOP, Buffer.alloc(0)),
      tlv(ProxyTlvType.SSL, ssl),
      tlv(0xe0, Buffer.from([0xff, 0x00])),
      tlv(ProxyTlvType.ALPN, "http/1.1"), // a second ALPN is kept, the first one decoded
    ];
    const body = Buffer.concat([inet("192.0.2.1", "198.51.100.2", 1000, 443), ...tlvs]);
    const { header } = parse(v2(PROXY_V2, 0x11, body));
    assert.equal(header.alpn, "h2");
    assert.equal(header.authority, "bücher.example");
    assert.deepEqual(
      header.tlvs.map((t) => [t.type, Buffer.from(t.value).toString("hex")]),
      [
        [0x01, Buffer.from("h2").toString("hex")],
        [0x02, Buffer.from("bücher.example").toString("hex")],
        [0x03, "01020304"],
        [0x04, ""],
        [0x20, ssl.toString("hex")],
        [0xe0, "ff00"],
        [0x01, Buffer.from("http/1.1").toString("hex")],
      ],
    );
  });

  it("copies TLV values: they do not change when the received chunk is reused", () => {
    const chunk = v2(PROXY_V2, 0x11, Buffer.concat([inet("1.1.1.1", "2.2.2.2", 1, 2), tlv(0xe1, "abc")]));
    const { header } = parse(chunk);
    const result = new ProxyHeaderParser().push(chunk);
    assert.equal(result.status, "done");
    chunk.fill(0);
    assert.equal(Buffer.from(result.header.tlvs[0]!.value).toString(), "abc");
    assert.equal(Buffer.from(header.tlvs[0]!.value).toString(), "abc");
  });

  it("accepts LOCAL (a health check) and discards its whole block, family included", () => {
    assert.deepEqual(parse(v2(LOCAL_V2, 0x00)).header, { version: 2, command: "LOCAL", tlvs: [] });
    const { header, rest } = parse(Buffer.concat([v2(LOCAL_V2, 0xff, Buffer.from("junk-that-is-not-tlvs")), Buffer.from("after")]));
    assert.deepEqual(header, { version: 2, command: "LOCAL", tlvs: [] });
    assert.equal(rest.toString(), "after");
    const withAddresses = parse(v2(LOCAL_V2, 0x11, inet("1.2.3.4", "5.6.7.8", 1, 2)));
    assert.deepEqual(withAddresses.header, { version: 2, command: "LOCAL", tlvs: [] });
  });

  it("gives no addresses for family UNSPEC (block ignored) or UNIX (TLVs after the paths kept)", () => {
    assert.deepEqual(parse(v2(PROXY_V2, 0x00, Buffer.from([1, 2, 3]))).header, { version: 2, command: "PROXY", tlvs: [] });
    const paths = Buffer.alloc(216);
    paths.write("/var/run/src.sock", 0);
    paths.write("/var/run/dst.sock", 108);
    const { header } = parse(v2(PROXY_V2, 0x31, Buffer.concat([paths, tlv(ProxyTlvType.AUTHORITY, "example.com")])));
    assert.equal(header.source, undefined);
    assert.equal(header.destination, undefined);
    assert.equal(header.authority, "example.com");
    assert.equal(header.tlvs.length, 1);
  });

  it("tolerates transports DGRAM and UNSPEC, as HAProxy does", () => {
    for (const family of [0x10, 0x12, 0x20, 0x22]) {
      const body = family >> 4 === 1 ? inet("10.0.0.1", "10.0.0.2", 53, 5353) : inet6("00".repeat(15) + "01", "00".repeat(15) + "02", 53, 5353);
      const { header } = parse(v2(PROXY_V2, family, body));
      assert.equal(header.source?.port, 53, `family 0x${family.toString(16)}`);
    }
  });

  it("accepts the longest header the length field allows, and no bytes of what follows", () => {
    const value = Buffer.alloc(0xffff - 12 - 3, 0x61);
    const header = v2(PROXY_V2, 0x11, Buffer.concat([inet("1.1.1.1", "2.2.2.2", 1, 2), tlv(0xe2, value)]));
    assert.equal(header.length, V2_MAX_LENGTH);
    const { result, unread } = feed(splitAt(Buffer.concat([header, Buffer.from("next")]), [1, 7, 13, 15, 16, 100, 40_000]));
    assert.equal(result.status, "done");
    assert.equal(Buffer.concat([result.rest, unread]).toString(), "next");
    assert.equal(result.header.tlvs[0]!.value.length, value.length);
  });

  it("parses a header fed one byte at a time", () => {
    const bytes = v2(PROXY_V2, 0x21, Buffer.concat([inet6("00".repeat(15) + "01", "00".repeat(15) + "01", 1, 2), tlv(1, "h2")]));
    const parser = new ProxyHeaderParser({ accept: "v2" });
    for (const byte of bytes.subarray(0, -1)) assert.equal(parser.push(Buffer.of(byte)).status, "need-more");
    const result = parser.push(Buffer.concat([bytes.subarray(-1), Buffer.from("x")]));
    assert.equal(result.status, "done");
    assert.equal(result.header.alpn, "h2");
    assert.equal(result.rest.toString(), "x");
  });

  it("fails at once on a signature byte that does not match", () => {
    failsAt([SIGNATURE.subarray(0, 4), "X"], "bad v2 signature");
    failsAt(["\r\nGET"], "bad v2 signature");
    failsAt([Buffer.concat([SIGNATURE.subarray(0, 11), Buffer.from([0x0b])])], "bad v2 signature");
  });

  it("fails at once on an unsupported version, command, family or transport", () => {
    failsAt([SIGNATURE, Buffer.from([0x11])], "unsupported version 1");
    failsAt([SIGNATURE, Buffer.from([0x31])], "unsupported version 3");
    failsAt([SIGNATURE, Buffer.from([0x22])], "unsupported command 0x02");
    failsAt([SIGNATURE, Buffer.from([0x2f])], "unsupported command 0x0f");
    failsAt([SIGNATURE, Buffer.from([PROXY_V2, 0x41])], "unsupported family 0x41");
    failsAt([SIGNATURE, Buffer.from([PROXY_V2, 0xf1])], "unsupported family 0xf1");
    failsAt([SIGNATURE, Buffer.from([PROXY_V2, 0x13])], "unsupported transport 0x13");
  });

  it("fails at once when the length cannot hold the family's addresses", () => {
    failsAt([v2(PROXY_V2, 0x11, Buffer.alloc(0), 11)], "length 11 too short for family 0x11");
    failsAt([v2(PROXY_V2, 0x21, Buffer.alloc(0), 35)], "length 35 too short for family 0x21");
    failsAt([v2(PROXY_V2, 0x31, Buffer.alloc(0), 215)], "length 215 too short for family 0x31");
  });

  it("refuses TLVs that do not fit the header exactly", () => {
    const address = inet("1.1.1.1", "2.2.2.2", 1, 2);
    failsAt([v2(PROXY_V2, 0x11, Buffer.concat([address, Buffer.from([0x01, 0x00])]))], "truncated TLV");
    failsAt([v2(PROXY_V2, 0x11, Buffer.concat([address, Buffer.from([0x01, 0x00, 0x05, 0x61])]))], "TLV 0x01 longer than the header");
    failsAt([v2(PROXY_V2, 0x11, Buffer.concat([address, tlv(0x01, "h2"), Buffer.from([0xe0])]))], "truncated TLV");
  });

  it("refuses ALPN or AUTHORITY that is not UTF-8", () => {
    const address = inet("1.1.1.1", "2.2.2.2", 1, 2);
    failsAt([v2(PROXY_V2, 0x11, Buffer.concat([address, tlv(ProxyTlvType.ALPN, Buffer.from([0xc3, 0x28]))]))], "ALPN TLV is not UTF-8");
    failsAt([v2(PROXY_V2, 0x11, Buffer.concat([address, tlv(ProxyTlvType.AUTHORITY, Buffer.from([0xff]))]))], "authority TLV is not UTF-8");
  });

  it("refuses version 2 when only v1 is accepted, at the first byte", () => {
    failsAt([v2(LOCAL_V2, 0)], "version 2 not accepted", "v1");
    failsAt(["\r"], "version 2 not accepted", "v1");
    failsAt(["\r\nGET"], "version 2 not accepted", "v1");
  });
});

describe("ProxyHeaderParser, use", () => {
  it("waits on empty chunks", () => {
    const parser = new ProxyHeaderParser();
    assert.equal(parser.push(Buffer.alloc(0)).status, "need-more");
    assert.equal(parser.push(Buffer.from("PROXY UNK")).status, "need-more");
    assert.equal(parser.push(Buffer.alloc(0)).status, "need-more");
    assert.equal(parser.push(Buffer.from("NOWN\r\n")).status, "done");
  });

  it("copies the bytes it holds: reusing a pushed chunk does not change the header", () => {
    const parser = new ProxyHeaderParser();
    const first = Buffer.from("PROXY TCP4 10.0.0.1 ");
    assert.equal(parser.push(first).status, "need-more");
    first.fill(0x20);
    const result = parser.push(Buffer.from("10.0.0.2 1 2\r\n"));
    assert.equal(result.status, "done");
    assert.deepEqual(result.header.source, { host: "10.0.0.1", port: 1 });
  });

  it("throws the same error again after a failure, and refuses use after the header", () => {
    const parser = new ProxyHeaderParser();
    let first: unknown;
    assert.throws(() => parser.push(Buffer.from("HELLO")), (e) => ((first = e), true));
    assert.throws(() => parser.push(Buffer.from("PROXY UNKNOWN\r\n")), (e) => e === first);
    const done = new ProxyHeaderParser();
    assert.equal(done.push(Buffer.from("PROXY UNKNOWN\r\n")).status, "done");
    assert.throws(() => done.push(Buffer.from("x")), (e) => e instanceof TcpError && e.code === "ERR_TCP");
  });

  it("refuses an unknown accept setting", () => {
    for (const accept of [false, "v3", 1, null]) {
      assert.throws(
        () => new ProxyHeaderParser({ accept: accept as unknown as ProxyAcceptVersion }),
        (e) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT",
      );
    }
  });
});

/** Random bytes that often start like a header, so the properties reach deep states. */
const headerish = fc.oneof(
  fc.uint8Array({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 150 }).map((b) => Buffer.concat([Buffer.from("PROXY "), b])),
  fc
    .tuple(fc.constantFrom("TCP4 ", "TCP6 ", "UNKNOWN", "UNKNOWN "), fc.stringMatching(/^[0-9a-fA-F:. \r\n]{0,110}$/))
    .map(([p, s]) => Buffer.from(`PROXY ${p}${s}`, "latin1")),
  fc
    .tuple(fc.constantFrom(0x20, 0x21, 0x22, 0x11), fc.nat(0x3f), fc.nat(300), fc.uint8Array({ maxLength: 320 }))
    .map(([vc, fam, len, body]) => {
      const fixed = Buffer.from([vc, fam, len >> 8, len & 0xff]);
      return Buffer.concat([SIGNATURE, fixed, body]);
    }),
);
const accepts = fc.constantFrom<ProxyAcceptVersion>(true, "v1", "v2");
const cuts = fc.array(fc.nat(400), { maxLength: 8 });

describe("ProxyHeaderParser, properties", () => {
  it("never throws anything but ERR_PROXY_PROTOCOL, and never waits past the longest possible header", () => {
    fc.assert(
      fc.property(headerish, accepts, cuts, (bytes, accept, at) => {
        const parser = new ProxyHeaderParser({ accept });
        let fed = 0;
        try {
          for (const chunk of splitAt(bytes, at)) {
            fed += chunk.length;
            if (parser.push(chunk).status === "done") return;
          }
        } catch (error) {
          assert.ok(error instanceof TcpError && error.code === "ERR_PROXY_PROTOCOL", String(error));
          assert.match(error.message, /^Invalid PROXY protocol header: \S/);
          return;
        }
        // Still waiting: the bytes must be a proper prefix of a header that could still come.
        const limit = bytes[0] === 0x50 ? V1_MAX_LENGTH : V2_MAX_LENGTH;
        assert.ok(fed < limit, `waits after ${fed} bytes`);
        if (bytes.length >= 16 && bytes[0] === 0x0d) assert.ok(fed < 16 + Buffer.from(bytes).readUInt16BE(14));
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });

  it("gives the same outcome however the bytes are split (header, rest, or error)", () => {
    fc.assert(
      fc.property(headerish, accepts, cuts, (bytes, accept, at) => {
        const outcome = (chunks: Buffer[]): unknown => {
          try {
            const { result, unread } = feed(chunks, accept);
            return result.status === "done" ? { header: result.header, after: Buffer.concat([result.rest, unread]) } : "need-more";
          } catch (error) {
            return (error as Error).message;
          }
        };
        assert.deepEqual(outcome(splitAt(bytes, at)), outcome([Buffer.from(bytes)]));
      }),
      { seed: SEED + 1, numRuns: 2000 },
    );
  });

  it("waits on every truncation of a valid header, and fails at once from the first bad byte", () => {
    const validHeader = fc.oneof(
      fc.constantFrom(
        "PROXY UNKNOWN\r\n",
        `PROXY TCP6 ${ffff6} ::1 65535 0\r\n`,
        "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n",
      ).map((s) => Buffer.from(s)),
      fc
        .tuple(fc.array(fc.tuple(fc.nat(255), fc.uint8Array({ maxLength: 40 })), { maxLength: 5 }), fc.constantFrom(0x11, 0x21, 0x31, 0x00))
        .map(([tlvs, family]) => {
          const address = Buffer.alloc([0, 12, 36, 216][family >> 4]!);
          const body = Buffer.concat([address, ...(family === 0 ? [] : tlvs.map(([t, v]) => tlv(t === 1 || t === 2 ? 0xe0 : t, v)))]);
          return v2(PROXY_V2, family, body);
        }),
    );
    fc.assert(
      fc.property(validHeader, fc.nat(), fc.nat(255), (bytes, where, bad) => {
        for (let n = 0; n < bytes.length; n++) assert.equal(feed([bytes.subarray(0, n)]).result.status, "need-more");
        assert.equal(feed([bytes]).result.status, "done");
        // Change one byte: if the whole becomes invalid, some prefix fails and every longer prefix fails alike.
        const changed = Buffer.from(bytes);
        changed[where % bytes.length] = bad;
        let failure: string | undefined;
        for (let n = 1; n <= changed.length; n++) {
          let outcome: string;
          try {
            outcome = feed([changed.subarray(0, n)]).result.status;
          } catch (error) {
            outcome = (error as Error).message;
          }
          if (failure !== undefined) assert.equal(outcome, failure, `prefix of ${n} bytes`);
          else if (outcome === "done") break;
          else if (outcome !== "need-more") failure = outcome;
        }
      }),
      { seed: SEED + 2, numRuns: 300 },
    );
  });

  it("keeps any random TLVs of a v2 header, in order", () => {
    const tlvList = fc.array(fc.tuple(fc.integer({ min: 3, max: 255 }), fc.uint8Array({ maxLength: 64 })), { maxLength: 10 });
    fc.assert(
      fc.property(tlvList, cuts, (list, at) => {
        const bytes = v2(PROXY_V2, 0x11, Buffer.concat([inet("1.2.3.4", "5.6.7.8", 9, 10), ...list.map(([t, v]) => tlv(t, v))]));
        const { result } = feed(splitAt(bytes, at));
        assert.equal(result.status, "done");
        assert.deepEqual(
          result.header.tlvs.map((t) => [t.type, Buffer.from(t.value).toString("hex")]),
          list.map(([t, v]) => [t, Buffer.from(v).toString("hex")]),
        );
      }),
      { seed: SEED + 3, numRuns: 300 },
    );
  });
});
