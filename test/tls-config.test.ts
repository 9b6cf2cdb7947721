/**
 * TLS configuration errors: Ballerina's exact messages for missing settings,
 * `Failed to initialize the SSL context: <cause>` for material that does not
 * load; client errors at `connect`, listener errors at `start`.
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import {
  Client,
  Listener,
  ListenerError,
  TlsError,
  TlsMessages,
  type ClientSecureSocket,
  type ListenerSecureSocket,
} from "../src/index.js";
import { startEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { createPki, type Pki } from "./helpers/pki.js";
import { rawServer } from "./helpers/peers.js";
import { requireTool } from "./helpers/tools.js";

checkLeaksAfterEachTest();

/** These tests make their certificates with openssl. */
const skip = requireTool("openssl");

let pki: Pki;
before(async () => {
  if (skip) return;
  pki = await createPki();
  await writeFile(pki.path("garbage.pem"), "this is not a certificate\n");
  await writeFile(
    pki.path("broken.crt"),
    "-----BEGIN CERTIFICATE-----\nTUlJQm9uZXNvbWV0aGluZw==\n-----END CERTIFICATE-----\n",
  );
  await writeFile(pki.path("garbage.p12"), Buffer.from("30820a0b020103", "hex"));
});
after(async () => {
  if (skip) return;
  await pki.remove();
});

/** A port where nobody listens: a client error must come before any connect. */
let closedPort = 0;
before(async () => {
  const server = await rawServer(() => {});
  closedPort = server.port;
  await server.close();
});

function isTlsError(message: string | RegExp, code = "ERR_TLS"): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof TlsError, `expected a TlsError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}

function connectWith(secureSocket: ClientSecureSocket): Promise<Client> {
  return Client.connect("localhost", closedPort, { secureSocket });
}

/** The listener is built without complaint; `start()` rejects, and nothing is bound. */
async function startWith(secureSocket: ListenerSecureSocket, message: string | RegExp, code = "ERR_TLS"): Promise<void> {
  const listener = new Listener(0, { localHost: "127.0.0.1", secureSocket });
  listener.attach({ onConnect: () => undefined });
  await assert.rejects(listener.start(), isTlsError(message, code));
  await assert.rejects(listener.gracefulStop(), (error: unknown) => error instanceof ListenerError);
}

describe("missing settings: Ballerina's messages", { skip }, () => {
  const cases: Array<[string, ClientSecureSocket, string]> = [
    ["an empty cert path", { cert: "" }, TlsMessages.certFile],
    ["a TrustStore without path", { cert: { path: "", password: "x" } }, TlsMessages.trustStorePath],
    ["a TrustStore without password", { cert: { path: "t.p12", password: "" } }, TlsMessages.trustStorePassword],
    ["a CertKey without certFile", { key: { certFile: "", keyFile: "k.pem" } }, TlsMessages.certFile],
    ["a CertKey without keyFile", { key: { certFile: "c.pem", keyFile: "" } }, TlsMessages.keyFile],
    ["a KeyStore without path", { key: { path: "", password: "x" } }, TlsMessages.keyStorePath],
    ["a KeyStore without password", { key: { path: "k.p12", password: "" } }, TlsMessages.keyStorePassword],
  ];
  for (const [name, secureSocket, message] of cases) {
    test(`client: ${name}`, async () => {
      await assert.rejects(connectWith(secureSocket), isTlsError(message));
    });
  }

  test("the messages are Ballerina's words", () => {
    assert.equal(TlsMessages.certFile, "Certificate file location must be provided for secure connection");
    assert.equal(TlsMessages.keyFile, "Private key file location must be provided for secure connection");
    assert.equal(TlsMessages.keyStorePath, "KeyStore file location must be provided for secure connection");
    assert.equal(TlsMessages.keyStorePassword, "KeyStore password must be provided for secure connection");
    assert.equal(TlsMessages.trustStorePath, "TrustStore file location must be provided for secure connection");
    assert.equal(TlsMessages.trustStorePassword, "TrustStore password must be provided for secure connection");
  });

  const listenerCases: Array<[string, ListenerSecureSocket, string]> = [
    ["a CertKey without certFile", { key: { certFile: "", keyFile: "k.pem" } }, TlsMessages.certFile],
    ["a CertKey without keyFile", { key: { certFile: "c.pem", keyFile: "" } }, TlsMessages.keyFile],
    ["a KeyStore without path", { key: { path: "", password: "x" } }, TlsMessages.keyStorePath],
    ["a KeyStore without password", { key: { path: "k.p12", password: "" } }, TlsMessages.keyStorePassword],
    ["mutualSsl with an empty cert path", { key: { certFile: "c", keyFile: "k" }, mutualSsl: { cert: "" } }, TlsMessages.certFile],
    [
      "mutualSsl with a TrustStore without path",
      { key: { certFile: "c", keyFile: "k" }, mutualSsl: { cert: { path: "", password: "x" } } },
      TlsMessages.trustStorePath,
    ],
    [
      "mutualSsl with a TrustStore without password",
      { key: { certFile: "c", keyFile: "k" }, mutualSsl: { cert: { path: "t.p12", password: "" } } },
      TlsMessages.trustStorePassword,
    ],
  ];
  for (const [name, secureSocket, message] of listenerCases) {
    test(`listener, at start: ${name}`, async () => {
      await startWith(secureSocket, message);
    });
  }
});

describe("material that does not load: Failed to initialize the SSL context", { skip }, () => {
  const prefix = "Failed to initialize the SSL context: ";
  const context = (cause: RegExp | string): RegExp =>
    new RegExp(`^${prefix}${typeof cause === "string" ? cause : cause.source}`);

  test("client: a trust file that does not exist, holds no certificate, or a broken one", async () => {
    await assert.rejects(connectWith({ cert: pki.path("nope.crt") }), isTlsError(context(/ENOENT/)));
    await assert.rejects(connectWith({ cert: pki.path("garbage.pem") }), isTlsError(context(/no PEM certificate in/)));
    await assert.rejects(connectWith({ cert: pki.path("broken.crt") }), isTlsError(context(/.+/)));
  });

  test("listener: a wrong key password, a missing one, and a key that does not match the certificate", async () => {
    const key = { certFile: pki.serverCert, keyFile: pki.serverKeyEncrypted };
    await startWith({ key: { ...key, keyPassword: "wrong" } }, context(/.*(bad decrypt|decrypt)/i));
    await startWith({ key }, context(/the private key in .* is encrypted: keyPassword is needed/));
    await startWith({ key: { certFile: pki.serverCert, keyFile: pki.clientKey } }, context(/the private key in .* does not match the certificate/));
    await startWith({ key: { certFile: pki.clientCert, keyFile: pki.intruderKey } }, context(/the private key in .* does not match the certificate/));
  });

  test("a malformed PKCS#12 store, and a store with the wrong password", async () => {
    const garbage = { path: pki.path("garbage.p12"), password: "x" };
    await startWith({ key: garbage }, context(/.+/));
    await assert.rejects(connectWith({ cert: garbage }), isTlsError(context(/.+/)));
    await startWith({ key: { path: pki.serverKeyStore, password: "wrong" } }, context(/mac verify failure/));
    await assert.rejects(
      connectWith({ cert: { path: pki.trustStore, password: "wrong" } }),
      isTlsError(context(/PKCS#12 MAC could not be verified/)),
    );
    await startWith({ key: { path: pki.path("none.p12"), password: "x" } }, context(/ENOENT/));
  });

  test("a trust store used as a key store has no key; a key store used as a trust store trusts its certificates", async () => {
    await startWith({ key: { path: pki.trustStore, password: pki.storePassword } }, context(/.*key/i));
    const echo = await startEcho({ secureSocket: { key: { certFile: pki.serverCert, keyFile: pki.serverKey } } });
    try {
      const cert = { path: pki.serverKeyStore, password: pki.storePassword };
      const client = await Client.connect("localhost", echo.port, { secureSocket: { cert } });
      assert.equal(client.tls?.peerVerified, true);
      await client.close();
    } finally {
      await echo.stop();
    }
  });

  test("an unknown cipher name, an unknown version, and ciphers the versions cannot use", async () => {
    const key = { certFile: pki.serverCert, keyFile: pki.serverKey };
    await startWith({ key, ciphers: ["TLS_NOT_A_CIPHER"] }, `${prefix}Unsupported cipher suite: TLS_NOT_A_CIPHER`);
    await assert.rejects(
      connectWith({ protocol: { name: "TLS", versions: ["SSLv3" as "TLSv1.2"] } }),
      isTlsError(`${prefix}Unsupported TLS protocol version: SSLv3`),
    );
    await assert.rejects(
      connectWith({ protocol: { name: "TLS", versions: ["TLSv1.3"] }, ciphers: ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] }),
      isTlsError(`${prefix}none of the ciphers can be used with the allowed protocol versions`),
    );
  });

  test("bad time-outs: a TlsError with code ERR_INVALID_ARGUMENT naming the field", async () => {
    await assert.rejects(connectWith({ handshakeTimeout: -1 }), isTlsError(context(/secureSocket\.handshakeTimeout must be/), "ERR_INVALID_ARGUMENT"));
    const key = { certFile: pki.serverCert, keyFile: pki.serverKey };
    await startWith({ key, sessionTimeout: Number.NaN }, context(/secureSocket\.sessionTimeout must be/), "ERR_INVALID_ARGUMENT");
  });
});

test("enable: false skips every TLS check and connects in plain TCP", { skip }, async () => {
  const echo = await startEcho();
  try {
    const client = await Client.connect("127.0.0.1", echo.port, { secureSocket: { enable: false, cert: "" } });
    assert.equal(client.tls, undefined);
    await client.close();
  } finally {
    await echo.stop();
  }
});

test("a listener whose TLS start failed can start once the settings are fixed", { skip }, async () => {
  const secureSocket: ListenerSecureSocket = { key: { certFile: pki.serverCert, keyFile: pki.path("nope.key") } };
  const listener = new Listener(0, { localHost: "127.0.0.1", secureSocket });
  listener.attach({ onConnect: () => undefined });
  await assert.rejects(listener.start(), isTlsError(/^Failed to initialize the SSL context: ENOENT/));
  secureSocket.key = { certFile: pki.serverCert, keyFile: pki.serverKey };
  await listener.start();
  assert.ok(listener.localPort > 0);
  await listener.immediateStop();
});
