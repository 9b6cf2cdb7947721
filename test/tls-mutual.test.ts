/**
 * Mutual TLS: a listener that asks clients for a certificate. Good client
 * certificates (PEM and PKCS#12) are accepted; clients without one, or with
 * one from another CA, are refused before the service sees them, and the
 * listener-level `onError` hears of it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client, TcpError, TlsError, type ClientSecureSocket, type ListenerSecureSocket } from "../src/index.js";
import { withEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { requireTool } from "./helpers/tools.js";
import { runtime } from "./helpers/runtime.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

/** These tests make their certificates with openssl. */
const skip = requireTool("openssl");

function listenerSocket(verifyClient: "REQUIRE" | "OPTIONAL", pkcs12 = false): ListenerSecureSocket {
  return {
    key: pkcs12
      ? { path: pki.serverKeyStore, password: pki.storePassword }
      : { certFile: pki.serverCert, keyFile: pki.serverKey },
    mutualSsl: {
      verifyClient,
      cert: pkcs12 ? { path: pki.trustStore, password: pki.storePassword } : pki.caCert,
    },
  };
}

/** Echoes one message and returns the client's TLS facts. */
async function echoOnce(port: number, secureSocket: ClientSecureSocket): Promise<Client["tls"]> {
  const client = await Client.connect("localhost", port, { timeout: 5, secureSocket });
  try {
    await client.writeBytes("ping");
    assert.equal(Buffer.from(await client.readExactly(4)).toString(), "ping");
    return client.tls;
  } finally {
    await client.close();
  }
}

/**
 * The client is refused: with TLS 1.2 `connect` fails; with TLS 1.3 the
 * server's verdict comes after the client's handshake, so the first read fails.
 */
async function expectRefused(port: number, secureSocket: ClientSecureSocket): Promise<TcpError> {
  let client: Client;
  try {
    client = await Client.connect("localhost", port, { timeout: 5, secureSocket });
  } catch (error) {
    assert.ok(error instanceof TlsError, `expected a TlsError, got ${String(error)}`);
    return error;
  }
  try {
    await client.writeBytes("ping").catch(() => undefined);
    const error = await client.readBytes().then(
      (data) => assert.fail(`read ${data.length} bytes from a server that should have refused`),
      (error: unknown) => error,
    );
    assert.ok(error instanceof TcpError);
    return error;
  } finally {
    await client.close();
  }
}

const goodClient = (): ClientSecureSocket => ({ cert: pki.caCert, key: { certFile: pki.clientCert, keyFile: pki.clientKey } });
const intruder = (): ClientSecureSocket => ({ cert: pki.caCert, key: { certFile: pki.intruderCert, keyFile: pki.intruderKey } });

describe("verifyClient: REQUIRE", { skip }, () => {
  test("a client certificate from the trusted CA is accepted (PEM files)", async () => {
    await withEcho({ secureSocket: listenerSocket("REQUIRE") }, async (echo) => {
      const info = await echoOnce(echo.port, goodClient());
      assert.equal(info?.peerVerified, true);
      const caller = echo.callers[0];
      assert.equal(caller?.tls?.peerVerified, true);
      assert.equal(caller?.tls?.peerCertificate?.subject, "CN=client1");
      assert.equal(caller?.tls?.peerCertificate?.issuer, "CN=tcpkit Test CA");
      assert.deepEqual(echo.errors, []);
    });
  });

  test("a client certificate from the trusted CA is accepted (PKCS#12 key store and trust store)", async () => {
    await withEcho({ secureSocket: listenerSocket("REQUIRE", true) }, async (echo) => {
      const info = await echoOnce(echo.port, {
        cert: { path: pki.trustStore, password: pki.storePassword },
        key: { path: pki.clientKeyStore, password: pki.storePassword },
      });
      assert.equal(info?.peerCertificate?.subject, "CN=localhost");
      assert.equal(echo.callers[0]?.tls?.peerCertificate?.subject, "CN=client1");
    });
  });

  for (const version of ["TLSv1.3", "TLSv1.2"] as const) {
    const protocol = { name: "TLS", versions: [version] } as const;

    test(`${version}: a client without a certificate is refused; the service never sees it`, async () => {
      await withEcho({ secureSocket: listenerSocket("REQUIRE") }, async (echo) => {
        const reported = echo.nextError();
        const error = await expectRefused(echo.port, { cert: pki.caCert, protocol });
        assert.ok(error instanceof TlsError);
        assert.equal(
          error.message,
          version === "TLSv1.3"
            ? "Connection error: tlsv13 alert certificate required"
            : runtime === "deno" // rustls answers with the TLS 1.3 alert on TLS 1.2 too
              ? "Unable to connect with remote host: TLS handshake failed: tlsv13 alert certificate required"
              : "Unable to connect with remote host: TLS handshake failed: sslv3 alert handshake failure",
        );
        const listenerError = await reported;
        assert.ok(listenerError instanceof TlsError);
        assert.equal(listenerError.message, "TLS handshake failed: peer did not return a certificate");
        assert.equal(echo.callers.length, 0);
      });
    });

    test(`${version}: a client certificate from another CA is refused; the service never sees it`, async () => {
      await withEcho({ secureSocket: listenerSocket("REQUIRE") }, async (echo) => {
        const reported = echo.nextError();
        await expectRefused(echo.port, { ...intruder(), protocol });
        const listenerError = await reported;
        assert.ok(listenerError instanceof TlsError);
        assert.match(listenerError.message, /^TLS handshake failed: client certificate refused: [A-Z_]+$/);
        assert.equal(echo.callers.length, 0);
        assert.equal(echo.errors.length, 1, "reported once");
        // The listener still serves good clients.
        await echoOnce(echo.port, goodClient());
      });
    });
  }
});

describe("verifyClient: OPTIONAL", { skip }, () => {
  test("a client without a certificate is served, unverified", async () => {
    await withEcho({ secureSocket: listenerSocket("OPTIONAL") }, async (echo) => {
      await echoOnce(echo.port, { cert: pki.caCert });
      assert.equal(echo.callers[0]?.tls?.peerVerified, false);
      assert.equal(echo.callers[0]?.tls?.peerCertificate, undefined);
    });
  });

  test("a good client certificate is verified", async () => {
    await withEcho({ secureSocket: listenerSocket("OPTIONAL") }, async (echo) => {
      await echoOnce(echo.port, goodClient());
      assert.equal(echo.callers[0]?.tls?.peerVerified, true);
      assert.equal(echo.callers[0]?.tls?.peerCertificate?.subject, "CN=client1");
    });
  });

  test("a certificate from another CA is refused; the service never sees it", async () => {
    await withEcho({ secureSocket: listenerSocket("OPTIONAL") }, async (echo) => {
      const reported = echo.nextError();
      await expectRefused(echo.port, intruder());
      assert.match((await reported).message, /^TLS handshake failed: client certificate refused: [A-Z_]+$/);
      assert.equal(echo.callers.length, 0);
    });
  });
});
