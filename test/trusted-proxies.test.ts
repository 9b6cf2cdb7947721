import assert from "node:assert/strict";
import { BlockList } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { TcpError } from "../src/core/errors.js";
import { compileTrustedProxies, invalidProxyHeader, proxyHeaderTimedOut, untrustedProxy } from "../src/proxy/index.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../src/proxy/ip-address.js";

const SEED = 0x545255; // "TRU"

describe("compileTrustedProxies", () => {
  it("matches single IPv4 and IPv6 addresses", () => {
    const trusted = compileTrustedProxies(["10.0.0.1", "::1"]);
    assert.equal(trusted("10.0.0.1"), true);
    assert.equal(trusted("10.0.0.2"), false);
    assert.equal(trusted("::1"), true);
    assert.equal(trusted("0:0:0:0:0:0:0:1"), true);
    assert.equal(trusted("::2"), false);
  });

  it("matches CIDR blocks at their edges", () => {
    const trusted = compileTrustedProxies(["10.0.0.0/8", "192.168.16.0/20", "2001:db8::/32", "fe80::/10"]);
    assert.equal(trusted("10.255.255.255"), true);
    assert.equal(trusted("11.0.0.0"), false);
    assert.equal(trusted("192.168.31.255"), true);
    assert.equal(trusted("192.168.32.0"), false);
    assert.equal(trusted("192.168.15.255"), false);
    assert.equal(trusted("2001:db8:ffff::1"), true);
    assert.equal(trusted("2001:db9::1"), false);
    assert.equal(trusted("febf::1"), true);
    assert.equal(trusted("fec0::1"), false);
  });

  it("ignores host bits past the prefix", () => {
    assert.equal(compileTrustedProxies(["10.1.2.3/8"])("10.200.0.1"), true);
  });

  it("matches an IPv4 rule for an IPv4-mapped IPv6 peer, as a dual-stack socket reports it", () => {
    const trusted = compileTrustedProxies(["127.0.0.1", "10.0.0.0/8"]);
    assert.equal(trusted("::ffff:127.0.0.1"), true);
    assert.equal(trusted("::ffff:7f00:1"), true);
    assert.equal(trusted("::ffff:10.9.8.7"), true);
    assert.equal(trusted("::ffff:11.0.0.1"), false);
    assert.equal(trusted("::127.0.0.1"), false); // IPv4-compatible is not IPv4-mapped
  });

  it("matches an IPv4-mapped rule for a plain IPv4 peer", () => {
    assert.equal(compileTrustedProxies(["::ffff:127.0.0.1"])("127.0.0.1"), true);
    assert.equal(compileTrustedProxies(["::ffff:10.0.0.0/104"])("10.1.1.1"), true);
    assert.equal(compileTrustedProxies(["::ffff:10.0.0.0/104"])("11.1.1.1"), false);
  });

  it("treats ::/0 as everyone and 0.0.0.0/0 as every IPv4 peer", () => {
    assert.equal(compileTrustedProxies(["::/0"])("203.0.113.1"), true);
    assert.equal(compileTrustedProxies(["::/0"])("2001:db8::1"), true);
    assert.equal(compileTrustedProxies(["0.0.0.0/0"])("203.0.113.1"), true);
    assert.equal(compileTrustedProxies(["0.0.0.0/0"])("2001:db8::1"), false);
  });

  it("ignores a zone on the peer address, and never trusts what is not an address", () => {
    const trusted = compileTrustedProxies(["fe80::/10", "::/0"]);
    assert.equal(compileTrustedProxies(["fe80::/10"])("fe80::1%eth0"), true);
    assert.equal(trusted(""), false);
    assert.equal(trusted("localhost"), false);
    assert.equal(trusted(undefined as unknown as string), false);
  });

  it("trusts no one with an empty list", () => {
    assert.equal(compileTrustedProxies([])("127.0.0.1"), false);
  });

  it("refuses an entry that is not an address or CIDR block, naming it", () => {
    for (const entry of ["10.0.0.0/33", "::/129", "10.0.0.0/", "/8", "10.0.0.0/08", "10.0.0.0/+8", "10.0.0.0/8/8", "10.0.0.0/-1", "host.example", "", " 10.0.0.1", "010.0.0.1", "fe80::1%eth0", "1.2.3.4/1.5"]) {
      assert.throws(
        () => compileTrustedProxies(["127.0.0.1", entry]),
        (error) => {
          assert.ok(error instanceof TcpError);
          assert.equal(error.code, "ERR_INVALID_ARGUMENT");
          assert.equal(error.message, `trustedProxies: ${JSON.stringify(entry)} is not an IP address or CIDR block`);
          return true;
        },
      );
    }
    assert.throws(() => compileTrustedProxies([42 as unknown as string]), /trustedProxies: 42 is not/);
    assert.throws(() => compileTrustedProxies("10.0.0.0/8" as unknown as string[]), (e) => e instanceof TcpError && e.code === "ERR_INVALID_ARGUMENT");
  });

  it("agrees with net.BlockList on random blocks and addresses (property)", () => {
    const v4 = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 }), fc.ipV4(), fc.nat(31));
    const v6 = fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 }), fc.ipV6(), fc.nat(127));
    fc.assert(
      fc.property(fc.oneof(v4.map((t) => [...t, "ipv4"] as const), v6.map((t) => [...t, "ipv6"] as const)), ([network, prefix, address, bit, type]) => {
        const list = new BlockList();
        list.addSubnet(network, prefix, type);
        // The network with one bit flipped: inside the block past the prefix, outside before it.
        const bytes = type === "ipv4" ? parseIPv4(network)! : parseIPv6(network)!;
        bytes[bit >> 3]! ^= 0x80 >> (bit & 7);
        const flipped = type === "ipv4" ? formatIPv4(bytes) : formatIPv6(bytes);
        for (const candidate of [address, network, flipped]) {
          assert.equal(compileTrustedProxies([`${network}/${prefix}`])(candidate), list.check(candidate, type), `${network}/${prefix} ${candidate}`);
        }
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });
});

describe("PROXY protocol errors", () => {
  it("have the code ERR_PROXY_PROTOCOL and the messages of SPEC §10", () => {
    const cases: [TcpError, string][] = [
      [invalidProxyHeader("bad v2 signature"), "Invalid PROXY protocol header: bad v2 signature"],
      [proxyHeaderTimedOut(), "PROXY protocol header timed out"],
      [untrustedProxy("203.0.113.9"), "Connection from an untrusted proxy: 203.0.113.9"],
    ];
    for (const [error, message] of cases) {
      assert.ok(error instanceof TcpError);
      assert.equal(error.code, "ERR_PROXY_PROTOCOL");
      assert.equal(error.message, message);
    }
  });
});
