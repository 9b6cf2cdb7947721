/**
 * A configured cipher list is a promise on every runtime: a connection
 * never uses a suite outside it. Node's OpenSSL only negotiates listed
 * suites; Bun (TLS 1.3) and Deno negotiate on their own, and tcpkit refuses
 * the handshake afterwards. These tests hold either way.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Client, TcpError, TlsError } from "../src/index.js";
import { withEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile } from "./helpers/pki.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

/** How far a client got: refused at connect, refused at its first read, or served. */
async function tryEcho(port: number, ciphers: string[]): Promise<TcpError | "served"> {
  let client: Client;
  try {
    client = await Client.connect("localhost", port, { timeout: 5, secureSocket: { cert: pki.caCert, ciphers } });
  } catch (error) {
    assert.ok(error instanceof TcpError, String(error));
    return error;
  }
  try {
    await client.writeBytes("ping");
    await client.readExactly(4);
    return "served";
  } catch (error) {
    assert.ok(error instanceof TcpError, String(error));
    return error;
  } finally {
    await client.close();
  }
}

describe("pinned cipher suites", () => {
  test("a listener pinned to one TLS 1.3 suite never serves a client pinned to another", async () => {
    const secureSocket = { key: { certFile: pki.serverCert, keyFile: pki.serverKey }, ciphers: ["TLS_CHACHA20_POLY1305_SHA256"] };
    await withEcho({ secureSocket }, async (echo) => {
      const reported = echo.nextError();
      const outcome = await tryEcho(echo.port, ["TLS_AES_128_GCM_SHA256"]);
      assert.notEqual(outcome, "served");
      assert.equal(echo.callers.length, 0, "the service never saw the connection");
      const error = await reported;
      assert.ok(error instanceof TlsError);
      assert.match(error.message, /^TLS handshake failed: .*(no shared cipher|handshake failure)/);
    });
  });

  test("a client pinned to one suite either uses it or refuses the connection", async () => {
    await withEcho({ secureSocket: { key: { certFile: pki.serverCert, keyFile: pki.serverKey } } }, async (echo) => {
      const cipher = "TLS_AES_256_GCM_SHA384";
      let client: Client | undefined;
      try {
        client = await Client.connect("localhost", echo.port, { secureSocket: { cert: pki.caCert, ciphers: [cipher] } });
        assert.equal(client.tls?.cipher, cipher);
      } catch (error) {
        assert.ok(error instanceof TlsError, String(error));
        assert.match(error.message, /^Unable to connect with remote host: TLS handshake failed: no shared cipher/);
      } finally {
        await client?.close();
      }
    });
  });
});
