/**
 * Interoperability with an independent TLS implementation's tools:
 * `openssl s_client` against a tcpkit Listener, and a tcpkit Client against
 * `openssl s_server`. Each process is bounded in time and awaited.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client, TlsError, type ListenerSecureSocket } from "../src/index.js";
import { withEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { requireTool } from "./helpers/tools.js";
import { startPeer, type Peer } from "./helpers/processes.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

/** These tests make their certificates with openssl, and run it as the peer. */
const skip = requireTool("openssl");

const serverKey = (): { certFile: string; keyFile: string } => ({ certFile: pki.serverCert, keyFile: pki.serverKey });

async function withPeer<T>(peer: Peer, body: (peer: Peer) => Promise<T>): Promise<T> {
  try {
    return await body(peer);
  } finally {
    await peer.stop();
  }
}

/** `openssl s_client` that prints a one-line summary and hangs up at the end of its input. */
function sClient(port: number, ...extra: string[]): Peer {
  return startPeer(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", "-CAfile", pki.caCert,
      "-verify_return_error", "-brief", "-no_ign_eof", ...extra],
    { cwd: pki.dir },
  );
}

describe("openssl s_client against a tcpkit Listener", { skip }, () => {
  test("echo over TLS 1.3; s_client verifies the listener's certificate", async () => {
    await withEcho({ secureSocket: { key: serverKey() } }, async (echo) => {
      await withPeer(sClient(echo.port), async (peer) => {
        peer.child.stdin.write("Hello Ballerina\n");
        await peer.waitFor(/Hello Ballerina\n/);
        peer.child.stdin.end();
        assert.equal(await peer.exited, 0);
        assert.match(peer.stderr(), /Protocol version: TLSv1\.3/);
        assert.match(peer.stderr(), /Verification: OK/);
      });
      assert.equal(echo.callers[0]?.tls?.serverName, "localhost");
      assert.deepEqual(echo.errors, []);
    });
  });

  test("a pinned TLS 1.2 suite named the IANA way on the listener and the OpenSSL way by s_client", async () => {
    const secureSocket: ListenerSecureSocket = {
      key: serverKey(),
      protocol: { name: "TLS", versions: ["TLSv1.2"] },
      ciphers: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"],
    };
    await withEcho({ secureSocket }, async (echo) => {
      await withPeer(sClient(echo.port, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"), async (peer) => {
        peer.child.stdin.write("ping\n");
        await peer.waitFor(/ping\n/);
        peer.child.stdin.end();
        assert.equal(await peer.exited, 0);
        assert.match(peer.stderr(), /Ciphersuite: ECDHE-RSA-AES128-GCM-SHA256/);
      });
      assert.equal(echo.callers[0]?.tls?.cipher, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
      assert.equal(echo.callers[0]?.tls?.protocol, "TLSv1.2");
    });
  });

  test("mutual TLS: s_client's certificate is verified and shown to the service", async () => {
    await withEcho({ secureSocket: { key: serverKey(), mutualSsl: { cert: pki.caCert } } }, async (echo) => {
      await withPeer(sClient(echo.port, "-cert", pki.clientCert, "-key", pki.clientKey), async (peer) => {
        peer.child.stdin.write("mutual\n");
        await peer.waitFor(/mutual\n/);
        peer.child.stdin.end();
        assert.equal(await peer.exited, 0);
      });
      assert.equal(echo.callers[0]?.tls?.peerVerified, true);
      assert.equal(echo.callers[0]?.tls?.peerCertificate?.subject, "CN=client1");
    });
  });

  test("mutual TLS: s_client without a certificate is refused and the service never sees it", async () => {
    await withEcho({ secureSocket: { key: serverKey(), mutualSsl: { cert: pki.caCert } } }, async (echo) => {
      const reported = echo.nextError();
      await withPeer(sClient(echo.port), async (peer) => {
        peer.child.stdin.write("let me in\n");
        const code = await peer.exited;
        assert.notEqual(code, 0);
        assert.match(peer.stderr(), /certificate required/);
        assert.doesNotMatch(peer.stdout(), /let me in/);
      });
      assert.equal((await reported).message, "TLS handshake failed: peer did not return a certificate");
      assert.equal(echo.callers.length, 0);
    });
  });
});

describe("a tcpkit Client against openssl s_server", { skip }, () => {
  interface ServerOptions {
    cert?: string;
    key?: string;
    connections?: number;
    extra?: string[];
  }

  /** `openssl s_server -rev` on a free port for a number of connections; answers each line reversed. */
  async function sServer(options: ServerOptions = {}): Promise<{ peer: Peer; port: number }> {
    const peer = startPeer(
      "openssl",
      ["s_server", "-accept", "127.0.0.1:0", "-cert", options.cert ?? pki.serverCert, "-key", options.key ?? pki.serverKey,
        "-rev", "-naccept", String(options.connections ?? 1), ...(options.extra ?? [])],
      { cwd: pki.dir },
    );
    try {
      const match = await peer.waitFor(/ACCEPT 127\.0\.0\.1:(\d+)/);
      return { peer, port: Number(match[1]) };
    } catch (error) {
      await peer.stop();
      throw error;
    }
  }

  test("echo over TLS 1.3, with the server's certificate verified", async () => {
    const { peer, port } = await sServer();
    await withPeer(peer, async () => {
      const client = await Client.connect("localhost", port, { timeout: 5, secureSocket: { cert: pki.caCert } });
      try {
        await client.writeBytes("Hello Ballerina\n");
        assert.equal(Buffer.from(await client.readUntil("\n")).toString(), "anirellaB olleH\n");
        assert.equal(client.tls?.protocol, "TLSv1.3");
        assert.equal(client.tls?.peerVerified, true);
        assert.equal(client.tls?.peerCertificate?.issuer, "CN=tcpkit Test CA");
      } finally {
        await client.close();
      }
      assert.equal(await peer.exited, 0);
    });
  });

  test("mutual TLS with a client key store, s_server requiring a certificate", async () => {
    const { peer, port } = await sServer({ extra: ["-Verify", "1", "-CAfile", pki.caCert, "-verify_return_error"] });
    await withPeer(peer, async () => {
      const client = await Client.connect("localhost", port, {
        timeout: 5,
        secureSocket: { cert: pki.caCert, key: { path: pki.clientKeyStore, password: pki.storePassword } },
      });
      try {
        await client.writeBytes("abc\n");
        assert.equal(Buffer.from(await client.readUntil("\n")).toString(), "cba\n");
      } finally {
        await client.close();
      }
      assert.match(peer.stdout() + peer.stderr(), /CN\s?=\s?client1/);
    });
  });

  test("a cipher s_server does not offer fails the handshake with a TlsError", async () => {
    const { peer, port } = await sServer({ extra: ["-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"] });
    await withPeer(peer, async () => {
      await assert.rejects(
        Client.connect("localhost", port, {
          secureSocket: { cert: pki.caCert, ciphers: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] },
        }),
        (error: unknown) =>
          error instanceof TlsError && /^Unable to connect with remote host: TLS handshake failed: /.test(error.message),
      );
    });
  });

  test("s_server's certificate for another name is refused unless verifyHostName is false", async () => {
    const { peer, port } = await sServer({ cert: pki.wrongHostCert, key: pki.wrongHostKey, connections: 2 });
    await withPeer(peer, async () => {
      await assert.rejects(
        Client.connect("localhost", port, { secureSocket: { cert: pki.caCert } }),
        (error: unknown) => error instanceof TlsError && /altnames/.test(error.message),
      );
      const client = await Client.connect("localhost", port, { timeout: 5, secureSocket: { cert: pki.caCert, verifyHostName: false } });
      try {
        await client.writeBytes("ok\n");
        assert.equal(Buffer.from(await client.readUntil("\n")).toString(), "ko\n");
      } finally {
        await client.close();
      }
    });
  });
});
