/**
 * TLS between tcpkit's Client and Listener: echo, the TLS facts, versions and
 * ciphers, host name checks, trust, ALPN, session resumption, and a plain
 * client meeting a TLS listener.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import diagnostics from "node:diagnostics_channel";
import { describe, test } from "node:test";
import { Client, ConnectionClosedError, Listener, TcpError, TlsError, type ClientSecureSocket } from "../src/index.js";
import { withEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { destroyed, rawClient } from "./helpers/peers.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { requireTool } from "./helpers/tools.js";
import { skipOn } from "./helpers/runtime.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

/** These tests make their certificates with openssl. */
const skip = requireTool("openssl");

const message = "Hello Ballerina";

/** Connects, echoes one message, and returns the client (open). */
async function echoOnce(port: number, secureSocket: ClientSecureSocket, host = "localhost"): Promise<Client> {
  const client = await Client.connect(host, port, { timeout: 5, secureSocket });
  try {
    await client.writeBytes(message);
    assert.equal(Buffer.from(await client.readExactly(Buffer.byteLength(message))).toString(), message);
    return client;
  } catch (error) {
    await client.close();
    throw error;
  }
}

function serverKey(): { certFile: string; keyFile: string } {
  return { certFile: pki.serverCert, keyFile: pki.serverKey };
}

describe("secure echo", { skip }, () => {
  test("over PEM files, with the TLS facts on both sides", async () => {
    await withEcho({ secureSocket: { key: serverKey() } }, async (echo) => {
      const client = await echoOnce(echo.port, { cert: pki.caCert });
      const info = client.tls;
      assert.ok(info !== undefined);
      assert.equal(info.protocol, "TLSv1.3");
      assert.match(info.cipher, /^TLS_AES_|^TLS_CHACHA20_/);
      assert.equal(info.peerVerified, true);
      assert.equal(info.peerCertificate?.subject, "CN=localhost");
      assert.equal(info.peerCertificate?.issuer, "CN=tcpkit Test CA");
      assert.match(info.peerCertificate?.subjectAltName ?? "", /DNS:localhost/);
      assert.equal(info.alpnProtocol, undefined);
      assert.equal(info.serverName, "localhost");
      await client.close();

      const caller = echo.callers[0];
      assert.ok(caller?.tls !== undefined);
      assert.equal(caller.tls.protocol, "TLSv1.3");
      assert.equal(caller.tls.cipher, info.cipher);
      assert.equal(caller.tls.peerVerified, false);
      assert.equal(caller.tls.peerCertificate, undefined);
      assert.equal(caller.tls.serverName, "localhost");
      assert.deepEqual(echo.errors, []);
    });
  });

  test("with an encrypted PKCS#8 key and its keyPassword", async () => {
    const key = { certFile: pki.serverCert, keyFile: pki.serverKeyEncrypted, keyPassword: pki.keyPassword };
    await withEcho({ secureSocket: { key } }, async (echo) => {
      const client = await echoOnce(echo.port, { cert: pki.caCert });
      assert.equal(client.tls?.peerVerified, true);
      await client.close();
    });
  });

  test("over IPv6 loopback, checking the IP address in the certificate, with no SNI", async () => {
    await withEcho({ localHost: "::1", secureSocket: { key: serverKey() } }, async (echo) => {
      const client = await echoOnce(echo.port, { cert: pki.caCert }, "::1");
      assert.equal(client.tls?.serverName, undefined);
      assert.equal(echo.callers[0]?.tls?.serverName, undefined);
      await client.close();
    });
  });

  test("enable: false is plain TCP even with other fields set", async () => {
    await withEcho({}, async (echo) => {
      const client = await echoOnce(echo.port, { enable: false, cert: pki.path("does-not-exist.crt") });
      assert.equal(client.tls, undefined);
      assert.equal(echo.callers[0]?.tls, undefined);
      await client.close();
    });
  });
});

describe("versions and ciphers", { skip }, () => {
  test("a version the listener does not offer fails the handshake with a TlsError; the listener lives on", async () => {
    const listenerProtocol = { name: "TLS", versions: ["TLSv1.3"] } as const;
    await withEcho({ secureSocket: { key: serverKey(), protocol: listenerProtocol } }, async (echo) => {
      const reported = echo.nextError();
      await assert.rejects(
        Client.connect("localhost", echo.port, {
          secureSocket: { cert: pki.caCert, protocol: { name: "TLS", versions: ["TLSv1.2"] } },
        }),
        (error: unknown) => error instanceof TlsError && /^Unable to connect with remote host: TLS handshake failed: .*protocol/.test(error.message),
      );
      const error = await reported;
      assert.ok(error instanceof TlsError);
      assert.equal(error.message, "TLS handshake failed: unsupported protocol");
      assert.equal(echo.callers.length, 0, "the service never saw the connection");
      const client = await echoOnce(echo.port, { cert: pki.caCert });
      await client.close();
    });
  });

  test("a shared pinned version is used", async () => {
    const protocol = { name: "TLS", versions: ["TLSv1.2"] } as const;
    await withEcho({ secureSocket: { key: serverKey(), protocol } }, async (echo) => {
      const client = await echoOnce(echo.port, { cert: pki.caCert, protocol });
      assert.equal(client.tls?.protocol, "TLSv1.2");
      assert.equal(echo.callers[0]?.tls?.protocol, "TLSv1.2");
      await client.close();
    });
  });

  const denoCiphers = { skip: skipOn("deno", "node:tls on Deno (rustls) ignores `ciphers` (denoland/deno#27617)") };

  test("a cipher the listener does not share fails the handshake", denoCiphers, async () => {
    const secureSocket = { key: serverKey(), ciphers: ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] };
    await withEcho({ secureSocket }, async (echo) => {
      const reported = echo.nextError();
      await assert.rejects(
        Client.connect("localhost", echo.port, {
          secureSocket: { cert: pki.caCert, ciphers: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] },
        }),
        (error: unknown) => error instanceof TlsError && /TLS handshake failed/.test(error.message),
      );
      assert.match((await reported).message, /^TLS handshake failed: .*(no shared cipher|handshake failure)/i);
      assert.equal(echo.callers.length, 0);
    });
  });

  test("IANA TLS 1.2 cipher names: a shared pinned cipher is used, with a client pinned to TLS 1.2", denoCiphers, async () => {
    const cipher = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256";
    await withEcho({ secureSocket: { key: serverKey(), ciphers: [cipher] } }, async (echo) => {
      const pinned = await echoOnce(echo.port, {
        cert: pki.caCert,
        protocol: { name: "TLS", versions: ["TLSv1.2"] },
        ciphers: [cipher],
      });
      assert.equal(pinned.tls?.cipher, cipher);
      assert.equal(pinned.tls?.protocol, "TLSv1.2");
      await pinned.close();
      // A listener given only TLS 1.2 suites speaks TLS 1.2 to a client that would take 1.3.
      const open = await echoOnce(echo.port, { cert: pki.caCert });
      assert.equal(open.tls?.cipher, cipher);
      await open.close();
    });
  });

  const tls13Pin = {
    skip:
      skipOn("bun", "BoringSSL has no setting for TLS 1.3 suites (oven-sh/bun#9425); tcpkit then refuses the handshake") ||
      skipOn("deno", "node:tls on Deno (rustls) ignores `ciphers` (denoland/deno#27617)"),
  };
  test("a pinned TLS 1.3 suite is used", tls13Pin, async () => {
    const cipher = "TLS_CHACHA20_POLY1305_SHA256";
    await withEcho({ secureSocket: { key: serverKey(), ciphers: [cipher] } }, async (echo) => {
      const client = await echoOnce(echo.port, { cert: pki.caCert, ciphers: [cipher, "TLS_AES_128_GCM_SHA256"] });
      assert.equal(client.tls?.cipher, cipher);
      assert.equal(client.tls?.protocol, "TLSv1.3");
      await client.close();
    });
  });
});

describe("the server's identity", { skip }, () => {
  test("a certificate for another host name is refused; verifyHostName: false accepts it", async () => {
    const key = { certFile: pki.wrongHostCert, keyFile: pki.wrongHostKey };
    await withEcho({ secureSocket: { key } }, async (echo) => {
      await assert.rejects(
        Client.connect("localhost", echo.port, { secureSocket: { cert: pki.caCert } }),
        (error: unknown) => error instanceof TlsError && /does not match certificate's altnames/.test(error.message),
      );
      const client = await echoOnce(echo.port, { cert: pki.caCert, verifyHostName: false });
      assert.equal(client.tls?.peerVerified, true, "the chain is still verified");
      assert.equal(client.tls?.peerCertificate?.subject, "CN=other.example");
      await client.close();
    });
  });

  test("serverName is sent as SNI and checked against the certificate", async () => {
    const key = { certFile: pki.wrongHostCert, keyFile: pki.wrongHostKey };
    await withEcho({ secureSocket: { key } }, async (echo) => {
      const client = await echoOnce(echo.port, { cert: pki.caCert, serverName: "other.example" }, "127.0.0.1");
      assert.equal(client.tls?.serverName, "other.example");
      assert.equal(echo.callers[0]?.tls?.serverName, "other.example");
      await client.close();
    });
  });

  test("a server whose certificate no trusted CA signed is refused, with our CA or the system's", async () => {
    const key = { certFile: pki.selfSignedCert, keyFile: pki.selfSignedKey };
    await withEcho({ secureSocket: { key } }, async (echo) => {
      await assert.rejects(
        Client.connect("localhost", echo.port, { secureSocket: { cert: pki.caCert } }),
        (error: unknown) => error instanceof TlsError && /self[- ]signed certificate/.test(error.message),
      );
      await assert.rejects(
        Client.connect("localhost", echo.port, { secureSocket: {} }),
        (error: unknown) => error instanceof TlsError && /self[- ]signed certificate/.test(error.message),
      );
      assert.equal(echo.callers.length, 0);
    });
  });
});

test("ALPN: both sides see the protocol they agreed on", { skip }, async () => {
  await withEcho({ secureSocket: { key: serverKey(), alpnProtocols: ["h2", "tcpkit/1"] } }, async (echo) => {
    const client = await echoOnce(echo.port, { cert: pki.caCert, alpnProtocols: ["tcpkit/1", "http/1.1"] });
    assert.equal(client.tls?.alpnProtocol, "tcpkit/1");
    assert.equal(echo.callers[0]?.tls?.alpnProtocol, "tcpkit/1");
    await client.close();
  });
});

describe("session resumption", { skip }, () => {
  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const resumes = { skip: skipOn("deno", "node:tls on Deno does not resume sessions (denoland/deno#30305)") };
    test(`${version}: a second client to the same listener resumes the first one's session`, resumes, async () => {
      const protocol = { name: "TLS", versions: [version] } as const;
      await withEcho({ secureSocket: { key: serverKey(), sessionTimeout: 60, protocol } }, async (echo) => {
        // Each listener has its own port, so no other test's session is offered.
        const secureSocket = { cert: pki.caCert, sessionTimeout: 60, protocol };
        const first = await echoOnce(echo.port, secureSocket);
        assert.equal(first.tls?.sessionReused, false);
        assert.equal(first.tls?.peerCertificate?.subject, "CN=localhost");
        await first.close();
        const second = await echoOnce(echo.port, secureSocket);
        assert.equal(second.tls?.sessionReused, true);
        assert.equal(second.tls?.protocol, version);
        assert.equal(echo.callers[1]?.tls?.sessionReused, true);
        // A resumed session still shows the server certificate it was made with.
        assert.equal(second.tls?.peerCertificate?.subject, "CN=localhost");
        assert.equal(second.tls?.peerVerified, true);
        await second.close();
      });
    });
  }

  test("a client with other TLS settings does not resume the session", async () => {
    await withEcho({ secureSocket: { key: serverKey() } }, async (echo) => {
      const first = await echoOnce(echo.port, { cert: pki.caCert });
      await first.close();
      const other = await echoOnce(echo.port, { cert: pki.caCert, alpnProtocols: ["x"] });
      assert.equal(other.tls?.sessionReused, false);
      await other.close();
    });
  });
});

test("a plain client talking to a TLS listener gets an error on read; the listener serves TLS afterwards", { skip }, async () => {
  await withEcho({ secureSocket: { key: serverKey() } }, async (echo) => {
    const reported = echo.nextError();
    const plain = await Client.connect("127.0.0.1", echo.port, { timeout: 5 });
    await plain.writeBytes("Hello plain\r\n");
    // Node's listener hangs up without a word; on Bun and Deno the TLS library first sends a
    // fatal alert record, as RFC 8446 asks. Nothing else ever arrives, and the read fails.
    const first = await plain.readBytes().catch((error: unknown) => error);
    if (first instanceof Uint8Array) {
      assert.equal(first.length, 7, "one alert record: 5-byte header, 2-byte alert");
      assert.equal(first[0], 0x15, "content type: alert");
      assert.equal(first[5], 2, "level: fatal");
      await assert.rejects(plain.readBytes(), (error: unknown) => error instanceof ConnectionClosedError || error instanceof TcpError);
    } else {
      assert.ok(first instanceof ConnectionClosedError || first instanceof TcpError, String(first));
    }
    await plain.close();
    const error = await reported;
    assert.ok(error instanceof TlsError);
    assert.match(error.message, /^TLS handshake failed: .*(wrong version number|http request|packet length)/i);
    assert.equal(echo.callers.length, 0);

    const raw = await rawClient(echo.port); // and one that leaves at once
    await destroyed(raw);
    const client = await echoOnce(echo.port, { cert: pki.caCert });
    await client.close();
  });
});

describe("serving over TLS", { skip }, () => {
  test("a megabyte each way, with back-pressure on both sides", async () => {
    await withEcho({ secureSocket: { key: serverKey() } }, async (echo) => {
      const client = await Client.connect("localhost", echo.port, { timeout: 10, secureSocket: { cert: pki.caCert } });
      try {
        const payload = randomBytes(1024 * 1024);
        const [, received] = await Promise.all([client.writeBytes(payload), client.readExactly(payload.length)]);
        assert.ok(Buffer.from(received).equals(payload));
      } finally {
        await client.close();
      }
    });
  });

  test("half-close: the client's shutdownWrite reaches onEnd, whose reply the client reads before the end", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1", secureSocket: { key: serverKey() } });
    listener.attach({ onConnect: () => ({ onBytes: (data) => data, onEnd: () => "bye" }) });
    await listener.start();
    try {
      const client = await Client.connect("localhost", listener.localPort, { timeout: 5, secureSocket: { cert: pki.caCert } });
      await client.writeBytes("last words ");
      await client.shutdownWrite();
      const chunks: Buffer[] = [];
      for await (const chunk of client) chunks.push(Buffer.from(chunk));
      assert.equal(Buffer.concat(chunks).toString(), "last words bye");
      await client.close();
    } finally {
      await listener.immediateStop();
    }
  });

  test("failed handshakes without onError go to the tcpkit:error channel; an onError that throws crashes nothing", async () => {
    const seen: unknown[] = [];
    let twoSeen!: () => void;
    const bothPublished = new Promise<void>((resolve) => (twoSeen = resolve));
    const onMessage = (message: unknown): void => {
      seen.push((message as { error?: unknown }).error);
      if (seen.length === 2) twoSeen();
    };
    diagnostics.subscribe("tcpkit:error", onMessage);
    const quiet = new Listener(0, { localHost: "127.0.0.1", secureSocket: { key: serverKey() } });
    quiet.attach({ onConnect: () => undefined });
    const throwing = new Listener(0, { localHost: "127.0.0.1", secureSocket: { key: serverKey() } });
    let thrown = 0;
    throwing.attach({
      onConnect: () => undefined,
      onError() {
        thrown++;
        throw new Error("a careless handler");
      },
    });
    await quiet.start();
    await throwing.start();
    try {
      for (const port of [quiet.localPort, throwing.localPort]) {
        await assert.rejects(
          Client.connect("localhost", port, { secureSocket: { cert: pki.caCert, protocol: { name: "TLS", versions: ["TLSv1.1"] } } }),
          TlsError,
        );
      }
      await bothPublished;
      assert.equal(thrown, 1);
      assert.ok(seen.some((error) => error instanceof TlsError), "the quiet listener's failure was published");
      assert.ok(seen.some((error) => error instanceof Error && error.message === "a careless handler"));
    } finally {
      diagnostics.unsubscribe("tcpkit:error", onMessage);
      await quiet.immediateStop();
      await throwing.immediateStop();
    }
  });
});
