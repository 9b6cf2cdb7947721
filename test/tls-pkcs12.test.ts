/**
 * PKCS#12 key stores and trust stores as the tools people use make them:
 * Java's `keytool` (including a trust store holding certificates only),
 * `openssl pkcs12`, and `openssl pkcs12 -legacy` (RC2/3DES, as older tools
 * wrote them).
 */
import assert from "node:assert/strict";
import { copyFile } from "node:fs/promises";
import { after, before, describe, test } from "node:test";
import { Client, TlsError, type ClientSecureSocket, type ListenerSecureSocket } from "../src/index.js";
import { startEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { createPki, tool, type Pki } from "./helpers/pki.js";
import { requireTool } from "./helpers/tools.js";

checkLeaksAfterEachTest();

const KEYTOOL = "keytool";
const password = "changeit";
let pki: Pki;
/** Every test here needs openssl (the PKI, the legacy stores); the keytool ones need keytool too. */
const skip = requireTool("openssl");
const skipKeytool = requireTool("openssl", "keytool");

before(async () => {
  if (skip) return;
  pki = await createPki();
  if (!skipKeytool) await keytoolStores();
  const openssl = (...args: string[]): Promise<string> => tool("openssl", args, pki.dir);
  await Promise.all([
    openssl("pkcs12", "-export", "-legacy", "-inkey", "server.key", "-in", "server.crt", "-certfile", "ca.crt",
      "-out", "legacy-server.p12", "-passout", `pass:${password}`),
    openssl("pkcs12", "-export", "-legacy", "-inkey", "client.key", "-in", "client.crt",
      "-out", "legacy-client.p12", "-passout", `pass:${password}`),
    openssl("pkcs12", "-export", "-legacy", "-nokeys", "-in", "ca.crt", "-out", "legacy-trust.p12", "-passout", `pass:${password}`),
    openssl("pkcs12", "-export", "-nokeys", "-in", "ca2.crt", "-out", "other-trust.p12", "-passout", `pass:${password}`),
  ]);
});
after(async () => {
  if (skip) return;
  await pki.remove();
});

/** The stores keytool makes or rewrites, in the PKI directory. */
async function keytoolStores(): Promise<void> {
  const keytool = (...args: string[]): Promise<string> => tool(KEYTOOL, args, pki.dir);
  const fromOpenSsl = (source: string, dest: string): Promise<string> =>
    keytool("-importkeystore", "-noprompt", "-srckeystore", source, "-srcstoretype", "PKCS12",
      "-srcstorepass", pki.storePassword, "-destkeystore", dest, "-deststoretype", "PKCS12", "-deststorepass", password);
  // Two at a time: the JVM is slow to start and the machine has two cores.
  await Promise.all([
    keytool("-importcert", "-noprompt", "-alias", "test-ca", "-file", pki.caCert,
      "-keystore", "kt-trust.p12", "-storetype", "PKCS12", "-storepass", password),
    fromOpenSsl(pki.serverKeyStore, "kt-server.p12"),
  ]);
  await Promise.all([
    fromOpenSsl(pki.clientKeyStore, "kt-client.p12"),
    keytool("-genkeypair", "-alias", "java", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost",
      "-ext", "san=dns:localhost,ip:127.0.0.1", "-validity", "2",
      "-keystore", "kt-java.p12", "-storetype", "PKCS12", "-storepass", password),
  ]);
  await keytool("-exportcert", "-rfc", "-alias", "java", "-keystore", "kt-java.p12", "-storepass", password, "-file", "kt-java.crt");
}

const store = (name: string): { path: string; password: string } => ({ path: pki.path(name), password });

/** A mutual-TLS echo with the given stores; returns what both sides saw of each other. */
async function mutualEcho(server: ListenerSecureSocket, client: ClientSecureSocket): Promise<{ server?: string; client?: string }> {
  const echo = await startEcho({ secureSocket: server });
  try {
    const connection = await Client.connect("localhost", echo.port, { timeout: 5, secureSocket: client });
    try {
      await connection.writeBytes("Hello Ballerina");
      assert.equal(Buffer.from(await connection.readExactly(15)).toString(), "Hello Ballerina");
      assert.equal(connection.tls?.peerVerified, true);
      const caller = echo.callers[0];
      if (server.mutualSsl !== undefined) assert.equal(caller?.tls?.peerVerified, true);
      assert.deepEqual(echo.errors, []);
      return {
        ...(connection.tls?.peerCertificate === undefined ? {} : { server: connection.tls.peerCertificate.subject }),
        ...(caller?.tls?.peerCertificate === undefined ? {} : { client: caller.tls.peerCertificate.subject }),
      };
    } finally {
      await connection.close();
    }
  } finally {
    await echo.stop();
  }
}

describe("stores made by keytool", { skip: skipKeytool }, () => {
  test("a trust store holding only a certificate (keytool -importcert)", async () => {
    const seen = await mutualEcho(
      { key: { certFile: pki.serverCert, keyFile: pki.serverKey } },
      { cert: store("kt-trust.p12") },
    );
    assert.deepEqual(seen, { server: "CN=localhost" });
  });

  test("key stores rewritten by keytool, on both sides of mutual TLS, with a keytool trust store", async () => {
    const seen = await mutualEcho(
      { key: store("kt-server.p12"), mutualSsl: { cert: store("kt-trust.p12") } },
      { cert: store("kt-trust.p12"), key: store("kt-client.p12") },
    );
    assert.deepEqual(seen, { server: "CN=localhost", client: "CN=client1" });
  });

  test("a key pair generated by keytool itself, trusted through its exported certificate", async () => {
    const seen = await mutualEcho({ key: store("kt-java.p12") }, { cert: pki.path("kt-java.crt") });
    assert.deepEqual(seen, { server: "CN=localhost" });
  });
});

describe("stores made by openssl pkcs12", { skip }, () => {
  test("key store, trust store and client key store", async () => {
    const stores = { path: "", password: pki.storePassword };
    const seen = await mutualEcho(
      { key: { ...stores, path: pki.serverKeyStore }, mutualSsl: { cert: { ...stores, path: pki.trustStore } } },
      { cert: { ...stores, path: pki.trustStore }, key: { ...stores, path: pki.clientKeyStore } },
    );
    assert.deepEqual(seen, { server: "CN=localhost", client: "CN=client1" });
  });

  test("legacy stores (RC2 and 3DES, which OpenSSL 3 no longer reads by default), RSA and EC keys", async () => {
    const seen = await mutualEcho(
      { key: store("legacy-server.p12"), mutualSsl: { cert: store("legacy-trust.p12") } },
      { cert: store("legacy-trust.p12"), key: store("legacy-client.p12") },
    );
    assert.deepEqual(seen, { server: "CN=localhost", client: "CN=client1" });
  });
});

test("a store is read once while it stays the same, and again when it is replaced", { skip: skipKeytool }, async () => {
  const echo = await startEcho({ secureSocket: { key: { certFile: pki.serverCert, keyFile: pki.serverKey } } });
  try {
    const trust = store("rotating-trust.p12");
    await copyFile(pki.path("other-trust.p12"), trust.path);
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(Client.connect("localhost", echo.port, { secureSocket: { cert: trust } }), TlsError);
    }
    await copyFile(pki.path("kt-trust.p12"), trust.path);
    const client = await Client.connect("localhost", echo.port, { secureSocket: { cert: trust } });
    assert.equal(client.tls?.peerVerified, true);
    await client.close();
  } finally {
    await echo.stop();
  }
});
