/**
 * Certificates by server name (`ListenerSecureSocket.sni`) and rotation
 * without a restart (`listener.updateSecureSocket`), seen by `openssl
 * s_client` and by tcpkit clients (SPEC §12).
 */
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { before, describe, it } from "node:test";
import { Client, Listener, ListenerError, TlsError, type CertKey } from "../src/index.js";
import { rejection } from "./helpers/assertions.js";
import { withEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile, tool } from "./helpers/pki.js";
import { startPeer, type Peer } from "./helpers/processes.js";

checkLeaksAfterEachTest();
const pki = pkiForThisFile();

const localhost = (): CertKey => ({ certFile: pki.serverCert, keyFile: pki.serverKey });
const other = (): CertKey => ({ certFile: pki.wrongHostCert, keyFile: pki.wrongHostKey });
const wildcard = (): CertKey => ({ certFile: pki.path("wild.crt"), keyFile: pki.path("wild.key") });

/** `openssl s_client` asking for `servername`; it echoes stdin through the listener. */
function sClient(port: number, servername: string): Peer {
  return startPeer(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", servername, "-CAfile", pki.caCert,
      "-verify_return_error", "-brief", "-no_ign_eof"],
    { cwd: pki.dir },
  );
}

/** The subject s_client printed for the peer certificate. */
async function subjectSeen(peer: Peer): Promise<string> {
  return (await peer.waitFor(/Peer certificate: (.+)\n/, "stderr"))[1]!.trim();
}

/** Runs `peer` through one echo of `line`, closes its input and waits for it to exit 0. */
async function echoOnce(peer: Peer, line: string): Promise<void> {
  peer.child.stdin.write(`${line}\n`);
  await peer.waitFor(new RegExp(`${line}\\n`));
}

async function finish(peer: Peer): Promise<void> {
  peer.child.stdin.end();
  assert.equal(await peer.exited, 0, peer.stderr());
}

/** The certificate subject a tcpkit client sees when asking for `serverName`. */
async function subjectFor(port: number, serverName: string): Promise<string | undefined> {
  const client = await Client.connect("127.0.0.1", port, { secureSocket: { cert: pki.caCert, serverName, verifyHostName: false }, timeout: 5 });
  const subject = client.tls?.peerCertificate?.subject;
  // One round trip first: a TLS 1.3 client that hangs up at once can end the server's handshake early.
  await client.writeBytes("x");
  await client.readExactly(1);
  await client.close();
  return subject;
}

describe("SNI and certificate rotation", () => {
  before(async () => {
    // A certificate for *.example.net, signed by the test CA.
    const openssl = (...args: string[]): Promise<string> => tool("openssl", args, pki.dir);
    await openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "wild.key",
      "-out", "wild.csr", "-subj", "/CN=*.example.net");
    await writeFile(pki.path("wild.ext"), "subjectAltName=DNS:*.example.net\nextendedKeyUsage=serverAuth\n");
    await openssl("x509", "-req", "-in", "wild.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
      "-out", "wild.crt", "-days", "2", "-extfile", "wild.ext");
  });

  it("picks the certificate by server name: exact, *.wildcard (one label), else the default key", async () => {
    const secureSocket = { key: localhost(), sni: { "Other.Example": other(), "*.example.net": wildcard() } };
    await withEcho({ secureSocket }, async (echo) => {
      const cases: [string, string][] = [
        ["other.example", "CN = other.example"],
        ["a.example.net", "CN = *.example.net"],
        ["localhost", "CN = localhost"],
        ["b.a.example.net", "CN = localhost"],
        ["example.net", "CN = localhost"],
      ];
      for (const [servername, subject] of cases) {
        const peer = sClient(echo.port, servername);
        assert.equal(await subjectSeen(peer), subject, servername);
        await echoOnce(peer, `hello ${servername}`);
        await finish(peer);
      }
      assert.deepEqual(echo.errors, []);
    });
  });

  it("updateSecureSocket: new handshakes get the new certificate; an open connection keeps echoing", async () => {
    await withEcho({ secureSocket: { key: localhost() } }, async (echo) => {
      const open = sClient(echo.port, "localhost");
      assert.equal(await subjectSeen(open), "CN = localhost");
      await echoOnce(open, "before");

      await echo.listener.updateSecureSocket({ key: other(), sni: { "*.example.net": wildcard() } });

      const fresh = sClient(echo.port, "localhost");
      assert.equal(await subjectSeen(fresh), "CN = other.example");
      await echoOnce(fresh, "fresh");
      await finish(fresh);
      assert.equal(await subjectFor(echo.port, "x.example.net"), "CN=*.example.net");

      await echoOnce(open, "after");
      await finish(open);
      assert.deepEqual(echo.errors, []);
    });
  });

  it("bad material rejects with a TlsError and the material in use stays", async () => {
    await withEcho({ secureSocket: { key: localhost() } }, async (echo) => {
      const mismatched = await rejection(echo.listener.updateSecureSocket({ key: { certFile: pki.serverCert, keyFile: pki.wrongHostKey } }));
      assert.ok(mismatched instanceof TlsError);
      assert.match(mismatched.message, /^Failed to initialize the SSL context: .*does not match/);

      const missing = await rejection(echo.listener.updateSecureSocket({ key: localhost(), sni: { "a.example": { certFile: pki.path("nope.crt"), keyFile: pki.serverKey } } }));
      assert.match(missing.message, /^Failed to initialize the SSL context: sni\["a.example"\]: .*nope\.crt/);

      const badName = await rejection(echo.listener.updateSecureSocket({ key: localhost(), sni: { "not a name": other() } }));
      assert.match(badName.message, /not a host name/);

      const fixed = await rejection(echo.listener.updateSecureSocket({ key: other(), mutualSsl: { cert: pki.caCert } }));
      assert.match(fixed.message, /mutualSsl cannot change while the listener runs/);

      assert.equal(await subjectFor(echo.port, "localhost"), "CN=localhost");
    });
  });

  it("updateSecureSocket needs a started TLS listener; a restart keeps the updated material", async () => {
    const plain = new Listener(0, { localHost: "127.0.0.1" });
    plain.attach({ onConnect: () => ({}) });
    assert.ok((await rejection(plain.updateSecureSocket({ key: localhost() }))) instanceof ListenerError);
    await plain.start();
    assert.ok((await rejection(plain.updateSecureSocket({ key: localhost() }))) instanceof ListenerError);
    await plain.gracefulStop();

    const listener = new Listener(0, { localHost: "127.0.0.1", secureSocket: { key: localhost() } });
    listener.attach({ onConnect: () => ({ onBytes: (data) => data }) });
    await listener.start();
    await listener.updateSecureSocket({ key: other() });
    await listener.gracefulStop();
    await listener.start();
    assert.equal(await subjectFor(listener.localPort, "localhost"), "CN=other.example");
    await listener.gracefulStop();
  });
});
