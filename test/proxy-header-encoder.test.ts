import assert from "node:assert/strict";
import { SocketAddress } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TcpError } from "../src/core/errors.js";
import type { ProxyHeaderOptions } from "../src/proxy/index.js";
import { encodeProxyHeader, V1_MAX_LENGTH } from "../src/proxy/index.js";
import { formatIPv6, parseIPv6 } from "../src/proxy/ip-address.js";
import { feed, splitAt } from "./helpers/proxy-bytes.js";
import { skipOn } from "./helpers/runtime.js";

const NON_CANONICAL_IPV6 = "net.SocketAddress, the reference these properties compare with, does not put IPv6 text in canonical form here (e.g. keeps ::0:0:0:0.0.0.0); our own formatter is checked against fixed cases above";
const skipNonCanonical = skipOn("bun", NON_CANONICAL_IPV6) || skipOn("deno", NON_CANONICAL_IPV6);

const SEED = 0x454e43; // "ENC"

/** Node's own canonical text of an address (inet_ntop), the oracle for what the parser must give. */
function nodeCanonical(host: string): string {
  return new SocketAddress({ address: host, family: host.includes(":") ? "ipv6" : "ipv4" }).address;
}

function isInvalidArgument(fragment: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof TcpError);
    assert.equal(error.code, "ERR_INVALID_ARGUMENT");
    assert.ok(error.message.includes(fragment), error.message);
    return true;
  };
}

describe("encodeProxyHeader", () => {
  it("writes a v1 TCP4 line", () => {
    const bytes = encodeProxyHeader({ version: 1, source: { host: "192.168.0.1", port: 56324 }, destination: { host: "192.168.0.11", port: 443 } });
    assert.equal(bytes.toString("latin1"), "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n");
  });

  it("writes a v1 TCP6 line with the addresses in canonical form, never over 107 bytes", () => {
    const bytes = encodeProxyHeader({ version: 1, source: { host: "2001:DB8:0:0:0:0:0:1", port: 1 }, destination: { host: "::1", port: 2 } });
    assert.equal(bytes.toString("latin1"), "PROXY TCP6 2001:db8::1 ::1 1 2\r\n");
    // Written long, this address is 45 characters; canonical, it is short enough.
    const long = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
    const full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff";
    const worst = encodeProxyHeader({ version: 1, source: { host: full, port: 65535 }, destination: { host: long, port: 65535 } });
    assert.ok(worst.length <= V1_MAX_LENGTH);
    assert.equal(feed([worst]).result.status, "done");
  });

  it("writes a v2 INET header, byte for byte", () => {
    const bytes = encodeProxyHeader({ version: 2, source: { host: "172.19.0.1", port: 42578 }, destination: { host: "172.19.0.3", port: 80 } });
    assert.equal(bytes.toString("hex"), "0d0a0d0a000d0a515549540a" + "2111000c" + "ac130001" + "ac130003" + "a652" + "0050");
  });

  it("writes a v2 INET6 header, byte for byte", () => {
    const bytes = encodeProxyHeader({ version: 2, source: { host: "2001:db8::1", port: 1 }, destination: { host: "::ffff:10.0.0.1", port: 65535 } });
    assert.equal(
      bytes.toString("hex"),
      "0d0a0d0a000d0a515549540a" + "21210024" + "20010db8000000000000000000000001" + "00000000000000000000ffff0a000001" + "0001" + "ffff",
    );
  });

  it("refuses endpoints of different families, an IPv4-mapped IPv6 with an IPv4 too", () => {
    for (const [a, b] of [
      ["10.0.0.1", "::1"],
      ["::ffff:10.0.0.1", "10.0.0.2"],
    ] as const) {
      for (const version of [1, 2] as const) {
        assert.throws(
          () => encodeProxyHeader({ version, source: { host: a, port: 1 }, destination: { host: b, port: 2 } }),
          isInvalidArgument("must both be IPv4 or both be IPv6"),
        );
      }
    }
  });

  it("refuses a bad version, host or port, naming the field", () => {
    const ok = { host: "10.0.0.1", port: 1 };
    const cases: [unknown, string][] = [
      [{ version: 3, source: ok, destination: ok }, "proxyHeader.version"],
      [{ version: "1", source: ok, destination: ok }, "proxyHeader.version"],
      [{ version: 1, source: { host: "localhost", port: 1 }, destination: ok }, "proxyHeader.source.host"],
      [{ version: 1, source: ok, destination: { host: "fe80::1%eth0", port: 1 } }, "proxyHeader.destination.host"],
      [{ version: 1, source: ok, destination: { host: "010.0.0.1", port: 1 } }, "proxyHeader.destination.host"],
      [{ version: 2, source: { host: "10.0.0.1", port: -1 }, destination: ok }, "proxyHeader.source.port"],
      [{ version: 2, source: { host: "10.0.0.1", port: 65536 }, destination: ok }, "proxyHeader.source.port"],
      [{ version: 2, source: ok, destination: { host: "10.0.0.1", port: 1.5 } }, "proxyHeader.destination.port"],
      [{ version: 2, source: ok, destination: { host: "10.0.0.1", port: Number.NaN } }, "proxyHeader.destination.port"],
      [{ version: 2, source: ok, destination: { host: "10.0.0.1", port: "80" } }, "proxyHeader.destination.port"],
      [{ version: 2, source: ok }, "proxyHeader.destination"],
      [null, "proxyHeader"],
    ];
    for (const [options, field] of cases) {
      assert.throws(() => encodeProxyHeader(options as ProxyHeaderOptions), isInvalidArgument(field));
    }
  });
});

const port = fc.integer({ min: 0, max: 65535 });
/** IPv6 in every written form (fast-check's generator includes `::` and dotted tails), and from raw bytes rich in zeros. */
const ipv6 = fc.oneof(
  fc.ipV6(),
  fc.uint8Array({ minLength: 16, maxLength: 16 }).chain((bytes) =>
    fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }).map((zero) => formatIPv6(bytes.map((b, i) => (zero[i >> 1] ? 0 : b)))),
  ),
);
const endpoints = fc.oneof(
  fc.tuple(fc.ipV4(), fc.ipV4()),
  fc.tuple(ipv6, ipv6),
);

describe("encodeProxyHeader and ProxyHeaderParser together (properties)", () => {
  it("round-trips any header split at random points, keeping the bytes after it", { skip: skipNonCanonical }, () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2) as fc.Arbitrary<1 | 2>, endpoints, port, port, fc.uint8Array({ maxLength: 64 }), fc.array(fc.nat(200), { maxLength: 6 }), (version, [a, b], p, q, trailing, cuts) => {
        const bytes = encodeProxyHeader({ version, source: { host: a, port: p }, destination: { host: b, port: q } });
        const { result, unread } = feed(splitAt(Buffer.concat([bytes, trailing]), cuts));
        assert.equal(result.status, "done");
        assert.deepEqual(result.header, {
          version,
          command: "PROXY",
          source: { host: nodeCanonical(a), port: p },
          destination: { host: nodeCanonical(b), port: q },
          tlvs: [],
        });
        assert.deepEqual(Buffer.concat([result.rest, unread]), Buffer.from(trailing));
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it("formats IPv6 exactly as Node does, and parses its own output back", { skip: skipNonCanonical }, () => {
    fc.assert(
      fc.property(ipv6, (text) => {
        const bytes = parseIPv6(text);
        assert.ok(bytes !== undefined, text);
        assert.equal(formatIPv6(bytes), nodeCanonical(text));
        assert.deepEqual(parseIPv6(formatIPv6(bytes)), bytes);
      }),
      { seed: SEED + 1, numRuns: 2000 },
    );
  });
});
