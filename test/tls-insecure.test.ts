/**
 * `ClientSecureSocket.verifyCertificate: false` (what `tcpkit connect
 * --insecure` uses): any certificate is accepted, and the TLS facts say it
 * was not verified; the default still refuses it.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Client, TlsError } from "../src/index.js";
import { rejection } from "./helpers/assertions.js";
import { withEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile } from "./helpers/pki.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

test("verifyCertificate: false accepts a self-signed certificate for another name; the default refuses it", async () => {
  await withEcho({ secureSocket: { key: { certFile: pki.selfSignedCert, keyFile: pki.selfSignedKey } } }, async (echo) => {
    assert.ok((await rejection(Client.connect("127.0.0.1", echo.port, { secureSocket: {} }))) instanceof TlsError);
    const client = await Client.connect("127.0.0.1", echo.port, { timeout: 5, secureSocket: { verifyCertificate: false } });
    try {
      await client.writeBytes("blind");
      assert.equal(Buffer.from(await client.readExactly(5)).toString(), "blind");
      assert.equal(client.tls?.peerVerified, false);
      assert.match(client.tls?.peerCertificate?.subject ?? "", /CN=localhost/);
    } finally {
      await client.close();
    }
    // An insecure session is never resumed by a verifying client.
    assert.ok((await rejection(Client.connect("127.0.0.1", echo.port, { secureSocket: {} }))) instanceof TlsError);
  });
});

test("verifyCertificate and verifyHostName must be booleans", async () => {
  for (const field of ["verifyCertificate", "verifyHostName"]) {
    const error = await rejection(Client.connect("127.0.0.1", 9, { secureSocket: { [field]: "false" } as object }));
    assert.equal(error.code, "ERR_INVALID_ARGUMENT");
    assert.match(error.message, new RegExp(`secureSocket\\.${field} must be true or false`));
  }
});
