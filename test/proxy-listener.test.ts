/**
 * A Listener behind a load balancer (SPEC §10), through real sockets: every row of the table,
 * v1 and v2, plain and TLS, the bytes after the header, time-out, untrusted peers, and
 * `Client.connect(..., { proxyHeader })` against a proxy listener.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import tls from "node:tls";
import { describe, test } from "node:test";
import { Client, Listener, TcpError, encodeProxyHeader, type Caller, type ListenerConfiguration } from "../src/index.js";
import { rejection } from "./helpers/assertions.js";
import { withEcho, type EchoListener } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { destroyed, rawClient, readFully } from "./helpers/peers.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { skipOn } from "./helpers/runtime.js";
import { inet, inet6, tlv, v2 } from "./helpers/proxy-bytes.js";
import { clientSending, closedByListener, coalescingRelay, tlsAfterHeader } from "./helpers/proxy-peers.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

const client4 = { host: "192.0.2.1", port: 56324 };
const server4 = { host: "192.0.2.11", port: 443 };
const v1Tcp4 = Buffer.from("PROXY TCP4 192.0.2.1 192.0.2.11 56324 443\r\n");

/** Sends `header` + `payload` in one write, reads the echo, and returns the caller that served it. */
async function echoThrough(echo: EchoListener, header: Uint8Array, payload = "hello"): Promise<Caller> {
  const socket = await clientSending(echo.port, Buffer.concat([header, Buffer.from(payload)]));
  try {
    assert.equal((await readFully(socket, payload.length)).toString(), payload, "the bytes after the header are echoed");
    const caller = echo.callers.at(-1);
    assert.ok(caller !== undefined);
    return caller;
  } finally {
    await destroyed(socket);
  }
}

/** Sends `bytes`, and expects the listener to close the connection and report `message`. */
async function refused(echo: EchoListener, bytes: Uint8Array, message: string | RegExp): Promise<TcpError> {
  const error = echo.nextError();
  const socket = await clientSending(echo.port, bytes);
  try {
    await closedByListener(socket);
    const reported = await error;
    assert.equal(reported.code, "ERR_PROXY_PROTOCOL");
    if (typeof message === "string") assert.equal(reported.message, message);
    else assert.match(reported.message, message);
    assert.equal(echo.callers.length, 0, "onConnect never ran");
    return reported;
  } finally {
    await destroyed(socket);
  }
}

describe("a header PROXY gives the caller the client's addresses", () => {
  test("v1 TCP4: addresses from the header, via the real peer, bytes after the header echoed", async () => {
    await withEcho({ proxyProtocol: true }, async (echo) => {
      const caller = await echoThrough(echo, v1Tcp4);
      assert.equal(caller.remoteHost, "192.0.2.1");
      assert.equal(caller.remotePort, 56324);
      assert.equal(caller.localHost, "192.0.2.11");
      assert.equal(caller.localPort, 443);
      const proxy = caller.proxy;
      assert.ok(proxy !== undefined);
      assert.equal(proxy.version, 1);
      assert.equal(proxy.command, "PROXY");
      assert.deepEqual(proxy.source, client4);
      assert.deepEqual(proxy.destination, server4);
      assert.deepEqual(proxy.tlvs, []);
      assert.equal(proxy.via.host, "127.0.0.1");
      assert.ok(proxy.via.port > 0 && proxy.via.port !== 56324);
    });
  });

  test("v1 TCP6: IPv6 addresses in canonical form", async () => {
    await withEcho({ proxyProtocol: "v1" }, async (echo) => {
      const caller = await echoThrough(echo, Buffer.from("PROXY TCP6 2001:DB8:0:0:0:0:0:1 2001:db8::2 4000 8443\r\n"));
      assert.equal(caller.remoteHost, "2001:db8::1");
      assert.equal(caller.remotePort, 4000);
      assert.equal(caller.localHost, "2001:db8::2");
      assert.equal(caller.localPort, 8443);
    });
  });

  test("v2 INET with TLVs: ALPN and authority decoded, every TLV kept", async () => {
    await withEcho({ proxyProtocol: "v2" }, async (echo) => {
      const tlvs = Buffer.concat([tlv(0x01, "h2"), tlv(0x02, "example.com"), tlv(0xe0, Uint8Array.of(1, 2, 3))]);
      const caller = await echoThrough(echo, v2(0x21, 0x11, Buffer.concat([inet("203.0.113.7", "198.51.100.1", 1234, 7000), tlvs])));
      assert.equal(caller.remoteHost, "203.0.113.7");
      assert.equal(caller.remotePort, 1234);
      assert.equal(caller.localHost, "198.51.100.1");
      assert.equal(caller.localPort, 7000);
      const proxy = caller.proxy!;
      assert.equal(proxy.version, 2);
      assert.equal(proxy.alpn, "h2");
      assert.equal(proxy.authority, "example.com");
      assert.deepEqual(proxy.tlvs.map((t) => [t.type, Buffer.from(t.value).toString("hex")]), [
        [0x01, "6832"],
        [0x02, Buffer.from("example.com").toString("hex")],
        [0xe0, "010203"],
      ]);
    });
  });

  test("v2 INET6", async () => {
    await withEcho({ proxyProtocol: true }, async (echo) => {
      const header = v2(0x21, 0x21, inet6("20010db8000000000000000000000001", "20010db8000000000000000000000002", 40000, 443));
      const caller = await echoThrough(echo, header);
      assert.equal(caller.remoteHost, "2001:db8::1");
      assert.equal(caller.remotePort, 40000);
      assert.equal(caller.localHost, "2001:db8::2");
    });
  });

  test("a header that arrives a byte at a time, with data after it", async () => {
    await withEcho({ proxyProtocol: true }, async (echo) => {
      const socket = await rawClient(echo.port);
      try {
        for (const byte of v1Tcp4) {
          socket.write(Uint8Array.of(byte));
          await new Promise<void>((resolve) => setImmediate(resolve)); // lets each byte go out on its own
        }
        socket.write("after");
        assert.equal((await readFully(socket, 5)).toString(), "after");
        assert.equal(echo.callers[0]?.remoteHost, "192.0.2.1");
      } finally {
        await destroyed(socket);
      }
    });
  });

  test("the accept diagnostics event names the client from the header", async () => {
    const seen: Array<{ remoteHost?: string; remotePort?: number }> = [];
    const record = (message: unknown): void => void seen.push(message as { remoteHost?: string });
    diagnostics.subscribe("tcpkit:listener:accept", record);
    try {
      await withEcho({ proxyProtocol: true }, async (echo) => {
        await echoThrough(echo, v1Tcp4);
      });
    } finally {
      diagnostics.unsubscribe("tcpkit:listener:accept", record);
    }
    assert.deepEqual(seen.map((m) => [m.remoteHost, m.remotePort]), [["192.0.2.1", 56324]]);
  });

  test("a header alone: onConnect runs, and the first onBytes is the next chunk", async () => {
    const seen: string[] = [];
    const listener = new Listener(0, { localHost: "127.0.0.1", proxyProtocol: true });
    listener.attach({
      onConnect: (caller) => {
        seen.push(`connect ${caller.remoteHost}`);
        return { onBytes: (data) => (seen.push(`bytes ${Buffer.from(data).toString()}`), data) };
      },
    });
    await listener.start();
    const socket = await clientSending(listener.localPort, v1Tcp4);
    try {
      socket.write("x");
      await readFully(socket, 1);
      assert.deepEqual(seen, ["connect 192.0.2.1", "bytes x"]);
    } finally {
      await destroyed(socket);
      await listener.immediateStop();
    }
  });
});

describe("headers without addresses: the socket's own addresses", () => {
  const cases: Array<[string, Buffer, "PROXY" | "LOCAL"]> = [
    ["v1 UNKNOWN", Buffer.from("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n"), "PROXY"],
    ["v2 LOCAL (a health check)", v2(0x20, 0x00), "LOCAL"],
    ["v2 LOCAL with an address block", v2(0x20, 0x11, inet("10.0.0.1", "10.0.0.2", 1, 2)), "LOCAL"],
    ["v2 PROXY UNSPEC", v2(0x21, 0x00), "PROXY"],
    ["v2 PROXY UNIX", v2(0x21, 0x31, Buffer.alloc(216)), "PROXY"],
  ];
  for (const [name, header, command] of cases) {
    test(name, async () => {
      await withEcho({ proxyProtocol: true }, async (echo) => {
        const caller = await echoThrough(echo, header);
        assert.equal(caller.remoteHost, "127.0.0.1");
        assert.equal(caller.localHost, "127.0.0.1");
        assert.equal(caller.localPort, echo.port);
        assert.equal(caller.proxy?.command, command);
        assert.equal(caller.proxy?.source, undefined);
        assert.equal(caller.proxy?.destination, undefined);
        assert.equal(caller.proxy?.via.host, "127.0.0.1");
        assert.equal(caller.proxy?.via.port, caller.remotePort);
      });
    });
  }

  test("without proxyProtocol caller.proxy is undefined, and a header is just bytes", async () => {
    await withEcho({}, async (echo) => {
      const socket = await clientSending(echo.port, v1Tcp4);
      try {
        assert.equal((await readFully(socket, v1Tcp4.length)).toString(), v1Tcp4.toString());
        assert.equal(echo.callers[0]?.proxy, undefined);
        assert.equal(echo.callers[0]?.remoteHost, "127.0.0.1");
      } finally {
        await destroyed(socket);
      }
    });
  });
});

describe("bad headers are refused before onConnect, with ERR_PROXY_PROTOCOL", () => {
  // No time-out: a refusal can only come from the bytes.
  const noTimeout: ListenerConfiguration = { proxyProtocol: true, proxyHeaderTimeout: 0 };

  test("not a header at all fails at once", async () => {
    await withEcho(noTimeout, async (echo) => {
      await refused(echo, Buffer.from("GET / HTTP/1.1\r\n"), "Invalid PROXY protocol header: not a PROXY protocol header");
    });
  });

  test("a v1 line with no CRLF within 107 bytes fails at once", async () => {
    await withEcho(noTimeout, async (echo) => {
      await refused(echo, Buffer.from(`PROXY TCP4 ${"1".repeat(120)}`), "Invalid PROXY protocol header: line longer than 107 bytes");
    });
  });

  test("a malformed v1 line", async () => {
    await withEcho(noTimeout, async (echo) => {
      await refused(echo, Buffer.from("PROXY TCP4 192.0.2.1 192.0.2.300 1 2\r\n"), "Invalid PROXY protocol header: bad destination address");
    });
  });

  test("a version the setting does not accept", async () => {
    await withEcho({ ...noTimeout, proxyProtocol: "v1" }, async (echo) => {
      await refused(echo, v2(0x21, 0x11, inet("10.0.0.1", "10.0.0.2", 1, 2)), "Invalid PROXY protocol header: version 2 not accepted");
    });
    await withEcho({ ...noTimeout, proxyProtocol: "v2" }, async (echo) => {
      await refused(echo, v1Tcp4, "Invalid PROXY protocol header: version 1 not accepted");
    });
  });

  test("a bad v2 signature, length and family", async () => {
    await withEcho(noTimeout, async (echo) => {
      const badSignature = v2(0x21, 0x11, inet("10.0.0.1", "10.0.0.2", 1, 2));
      badSignature[5] = 0x00;
      await refused(echo, badSignature, "Invalid PROXY protocol header: bad v2 signature");
      await refused(echo, v2(0x21, 0x11, Buffer.alloc(4)), "Invalid PROXY protocol header: length 4 too short for family 0x11");
      await refused(echo, v2(0x21, 0x41, Buffer.alloc(12)), "Invalid PROXY protocol header: unsupported family 0x41");
    });
  });

  test("a header that does not arrive in time", async () => {
    await withEcho({ proxyProtocol: true, proxyHeaderTimeout: 0.2 }, async (echo) => {
      await refused(echo, Buffer.from("PROXY TCP4 192.0.2.1"), "PROXY protocol header timed out");
      await refused(echo, new Uint8Array(0), "PROXY protocol header timed out"); // a silent peer
    });
  });

  test("a peer that closes inside the header", async () => {
    await withEcho(noTimeout, async (echo) => {
      const error = echo.nextError();
      const socket = await clientSending(echo.port, Buffer.from("PROXY TCP4 "));
      socket.end();
      await closedByListener(socket);
      assert.equal((await error).message, "Invalid PROXY protocol header: connection closed before the header was complete");
      assert.equal(echo.callers.length, 0);
    });
  });

  test("an untrusted peer is closed before a byte is read", async () => {
    await withEcho({ proxyProtocol: true, trustedProxies: ["10.0.0.0/8", "2001:db8::/32"] }, async (echo) => {
      await refused(echo, v1Tcp4, "Connection from an untrusted proxy: 127.0.0.1");
    });
  });

  test("a trusted peer is served", async () => {
    await withEcho({ proxyProtocol: true, trustedProxies: ["10.0.0.0/8", "127.0.0.0/8"] }, async (echo) => {
      assert.equal((await echoThrough(echo, v1Tcp4)).remoteHost, "192.0.2.1");
    });
  });

  test("a TLS listener refuses a bad header before the handshake", async () => {
    const secureSocket = { key: { certFile: pki.serverCert, keyFile: pki.serverKey } };
    await withEcho({ ...noTimeout, secureSocket }, async (echo) => {
      await refused(echo, Buffer.from("\x16\x03\x01\x02\x00"), "Invalid PROXY protocol header: not a PROXY protocol header");
    });
  });
});

describe("settings are checked at start()", () => {
  const bad: Array<[ListenerConfiguration, RegExp]> = [
    [{ proxyProtocol: true, trustedProxies: ["10.0.0.0/8", "10.0.0.300"] }, /trustedProxies: "10\.0\.0\.300" is not an IP address or CIDR block/],
    [{ proxyProtocol: true, trustedProxies: ["::1/129"] }, /"::1\/129"/],
    [{ proxyProtocol: "v3" as "v1" }, /proxyProtocol must be true, false, "v1" or "v2", got "v3"/],
    [{ proxyProtocol: true, proxyHeaderTimeout: -1 }, /proxyHeaderTimeout must be a number of seconds >= 0 .*, got -1/],
  ];
  for (const [config, message] of bad) {
    test(`refuses ${JSON.stringify(config)}`, async () => {
      const listener = new Listener(0, { localHost: "127.0.0.1", ...config });
      listener.attach({ onConnect: () => undefined });
      const error = await rejection(listener.start());
      assert.equal(error.code, "ERR_INVALID_ARGUMENT");
      assert.match(error.message, /^Error initializing the server: /);
      assert.match(error.message, message);
      await assert.rejects(listener.gracefulStop(), /Unable to initialize the tcp listener/); // never bound
    });
  }
});

describe("a TLS listener reads the header before the handshake", () => {
  const secureSocket = (): NonNullable<ListenerConfiguration["secureSocket"]> => ({ key: { certFile: pki.serverCert, keyFile: pki.serverKey } });

  for (const [name, header] of [
    ["v1", v1Tcp4],
    ["v2", v2(0x21, 0x11, inet("192.0.2.1", "192.0.2.11", 56324, 443))],
  ] as const) {
    test(`${name} header, then the TLS handshake, then an echo`, async () => {
      await withEcho({ proxyProtocol: true, secureSocket: secureSocket() }, async (echo) => {
        const socket = await tlsAfterHeader(echo.port, header, pki.caCert);
        try {
          socket.write("secure hello");
          assert.equal((await readFully(socket, 12)).toString(), "secure hello");
          const caller = echo.callers[0]!;
          assert.equal(caller.remoteHost, "192.0.2.1");
          assert.equal(caller.localPort, 443);
          assert.equal(caller.tls?.protocol, "TLSv1.3");
          assert.equal(caller.proxy?.version, name === "v1" ? 1 : 2);
        } finally {
          await destroyed(socket);
        }
      });
    });
  }

  test("the ClientHello in the same packet as the header reaches the TLS layer", async () => {
    await withEcho({ proxyProtocol: true, secureSocket: secureSocket() }, async (echo) => {
      const relay = await coalescingRelay(echo.port, v1Tcp4);
      const client = await Client.connect("localhost", relay.port, { timeout: 5, secureSocket: { cert: pki.caCert } });
      try {
        await client.writeBytes("through the relay");
        assert.equal(Buffer.from(await client.readExactly(17)).toString(), "through the relay");
        assert.equal(echo.callers[0]?.remoteHost, "192.0.2.1");
        assert.ok(echo.callers[0]?.tls !== undefined);
      } finally {
        await client.close();
        await relay.close();
      }
    });
  });

  test("a failed handshake after a good header is a TLS error", async () => {
    await withEcho({ proxyProtocol: true, secureSocket: secureSocket() }, async (echo) => {
      const error = echo.nextError();
      const socket = await clientSending(echo.port, Buffer.concat([v1Tcp4, Buffer.from("not a ClientHello")]));
      await closedByListener(socket);
      const reported = await error;
      assert.equal(reported.code, "ERR_TLS");
      assert.match(reported.message, /^TLS handshake failed: /);
      assert.equal(echo.callers.length, 0);
    });
  });

  test("session resumption works as without the header", { skip: skipOn("deno", "TLS session resumption is not implemented (denoland/deno#30305)") }, async () => {
    await withEcho({ proxyProtocol: true, secureSocket: secureSocket() }, async (echo) => {
      const ca = readFileSync(pki.caCert);
      let session: Buffer | undefined;
      for (let i = 0; i < 2; i++) {
        const raw = await clientSending(echo.port, v1Tcp4);
        const socket = tls.connect({ socket: raw, ca, servername: "localhost", ...(session === undefined ? {} : { session }) });
        socket.on("error", () => {});
        socket.once("session", (s: Buffer) => (session ??= s));
        await once(socket, "secureConnect");
        socket.write("x");
        await readFully(socket, 1); // the ticket arrives with the first reply
        if (i === 1) assert.equal(socket.isSessionReused(), true);
        await destroyed(socket);
      }
      assert.equal(echo.callers[1]?.tls?.sessionReused, true);
    });
  });
});

describe("Client.connect with proxyHeader", () => {
  test("v1 and v2 against a proxy listener", async () => {
    await withEcho({ proxyProtocol: true }, async (echo) => {
      for (const version of [1, 2] as const) {
        const client = await Client.connect("127.0.0.1", echo.port, {
          timeout: 5,
          proxyHeader: { version, source: { host: "2001:db8::7", port: 1000 + version }, destination: { host: "2001:db8::8", port: 80 } },
        });
        const localPort = client.localPort;
        await client.writeBytes("ping");
        assert.equal(Buffer.from(await client.readExactly(4)).toString(), "ping");
        await client.close();
        const caller = echo.callers.at(-1)!;
        assert.equal(caller.remoteHost, "2001:db8::7");
        assert.equal(caller.remotePort, 1000 + version);
        assert.equal(caller.proxy?.version, version);
        assert.equal(caller.proxy?.via.port, localPort);
      }
    });
  });

  test("over TLS: the header goes before the handshake", async () => {
    const secureSocket = { key: { certFile: pki.serverCert, keyFile: pki.serverKey } };
    await withEcho({ proxyProtocol: "v2", secureSocket }, async (echo) => {
      const client = await Client.connect("localhost", echo.port, {
        timeout: 5,
        secureSocket: { cert: pki.caCert },
        proxyHeader: { version: 2, source: client4, destination: server4 },
      });
      try {
        assert.equal(client.tls?.peerVerified, true);
        await client.writeBytes("secure ping");
        assert.equal(Buffer.from(await client.readExactly(11)).toString(), "secure ping");
        assert.equal(echo.callers[0]?.remoteHost, client4.host);
        assert.equal(echo.callers[0]?.proxy?.via.port, client.localPort);
      } finally {
        await client.close();
      }
    });
  });

  test("over TLS, a failed handshake after the header closes the TCP connection too", async () => {
    const secureSocket = { key: { certFile: pki.serverCert, keyFile: pki.serverKey } };
    await withEcho({ proxyProtocol: true, secureSocket }, async (echo) => {
      const error = await rejection(
        Client.connect("localhost", echo.port, {
          secureSocket: { cert: pki.otherCaCert },
          proxyHeader: { version: 1, source: client4, destination: server4 },
        }),
      );
      assert.equal(error.code, "ERR_TLS");
      assert.equal(echo.callers.length, 0);
    });
  });

  test("a bad proxyHeader is refused before connecting", async () => {
    const error = await rejection(
      Client.connect("127.0.0.1", 9, { proxyHeader: { version: 1, source: { host: "::1", port: 1 }, destination: server4 } }),
    );
    assert.equal(error.code, "ERR_INVALID_ARGUMENT");
    assert.match(error.message, /both be IPv4 or both be IPv6/);
  });

  test("the bytes it sends are the encoder's, first on the wire", async () => {
    await withEcho({}, async (echo) => {
      const header = { version: 1 as const, source: client4, destination: server4 };
      const client = await Client.connect("127.0.0.1", echo.port, { timeout: 5, proxyHeader: header });
      try {
        await client.writeBytes("!");
        const expected = Buffer.concat([encodeProxyHeader(header), Buffer.from("!")]);
        assert.deepEqual(Buffer.from(await client.readExactly(expected.length)), expected);
      } finally {
        await client.close();
      }
    });
  });
});

describe("stopping", () => {
  test("a header in flight is dropped by a stop, without an error", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1", proxyProtocol: true, proxyHeaderTimeout: 0 });
    const errors: TcpError[] = [];
    listener.attach({ onConnect: () => assert.fail("no header was sent"), onError: (e) => void errors.push(e) });
    await listener.start();
    const socket = await clientSending(listener.localPort, Buffer.from("PROXY "));
    const closed = closedByListener(socket);
    await listener.gracefulStop();
    await closed;
    assert.deepEqual(errors, []);
  });

  test("a TLS handshake after the header is dropped by a stop", async () => {
    const secureSocket = { key: { certFile: pki.serverCert, keyFile: pki.serverKey } };
    const listener = new Listener(0, { localHost: "127.0.0.1", proxyProtocol: true, secureSocket });
    const errors: TcpError[] = [];
    listener.attach({ onConnect: () => assert.fail("no handshake was made"), onError: (e) => void errors.push(e) });
    await listener.start();
    // A header and the start of a TLS record: the handshake waits for the rest.
    const socket = await clientSending(listener.localPort, Buffer.concat([v1Tcp4, Buffer.from([0x16, 0x03, 0x01])]));
    await new Promise((resolve) => setTimeout(resolve, 50)); // no event says the header was read; stop either way
    const closed = closedByListener(socket);
    await listener.immediateStop();
    await closed;
    assert.deepEqual(errors, []);
  });
});
