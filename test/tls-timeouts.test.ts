/**
 * Handshake time-outs on both sides (a silent peer is dropped), and a
 * listener that stops while handshakes are in flight.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { test } from "node:test";
import { Client, TlsError } from "../src/index.js";
import { startEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient, rawServer } from "./helpers/peers.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { requireTool } from "./helpers/tools.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

/** These tests make their certificates with openssl. */
const skip = requireTool("openssl");

const serverKey = (): { certFile: string; keyFile: string } => ({ certFile: pki.serverCert, keyFile: pki.serverKey });

test("listener: a peer that never says hello is dropped after handshakeTimeout and reported", { skip }, async () => {
  const echo = await startEcho({ secureSocket: { key: serverKey(), handshakeTimeout: 0.2 } });
  try {
    const reported = echo.nextError();
    const silent = await rawClient(echo.port);
    await once(silent, "close");
    const error = await reported;
    assert.ok(error instanceof TlsError);
    assert.equal(error.message, "TLS handshake failed: timed out after 0.2s");
    assert.equal(echo.callers.length, 0);
  } finally {
    await echo.stop();
  }
});

test("listener: a peer that stops half-way through its hello is dropped too", { skip }, async () => {
  const echo = await startEcho({ secureSocket: { key: serverKey(), handshakeTimeout: 0.2 } });
  try {
    const reported = echo.nextError();
    const slow = await rawClient(echo.port);
    slow.write(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00, 0x01])); // a record header and one byte of ClientHello
    await once(slow, "close");
    assert.match((await reported).message, /timed out/);
  } finally {
    await echo.stop();
  }
});

test("listener: a peer that hangs up mid-handshake is reported at once, not at the time-out", { skip }, async () => {
  // A long time-out: the report must come from the hang-up, not from the timer.
  const echo = await startEcho({ secureSocket: { key: serverKey(), handshakeTimeout: 120 } });
  try {
    const reported = echo.nextError();
    const quitter = await rawClient(echo.port);
    quitter.write(Buffer.from([0x16, 0x03, 0x01, 0x01, 0x00, 0x01]));
    quitter.end();
    const error = await reported;
    assert.ok(error instanceof TlsError);
    assert.doesNotMatch(error.message, /timed out/);
    await once(quitter, "close");
    assert.equal(echo.callers.length, 0);
  } finally {
    await echo.stop();
  }
});

test("client: a server that accepts but never answers the hello fails connect with a TlsError", { skip }, async () => {
  const server = await rawServer(() => {});
  try {
    await assert.rejects(
      Client.connect("localhost", server.port, { secureSocket: { cert: pki.caCert, handshakeTimeout: 0.2 } }),
      (error: unknown) =>
        error instanceof TlsError &&
        error.message === "Unable to connect with remote host: TLS handshake failed: timed out after 0.2s",
    );
  } finally {
    await server.close();
  }
});

for (const stop of ["gracefulStop", "immediateStop"] as const) {
  test(`${stop} drops handshakes in flight at once, without reporting them`, { skip }, async () => {
    const echo = await startEcho({ secureSocket: { key: serverKey(), handshakeTimeout: 0 } });
    const silent = await rawClient(echo.port);
    const closed = once(silent, "close");
    // Connections are accepted in order: once a later one completed its handshake, the silent one is in.
    const client = await Client.connect("localhost", echo.port, { secureSocket: { cert: pki.caCert } });
    await client.close();
    await echo.listener[stop]();
    await closed;
    assert.deepEqual(echo.errors, []);
  });
}
