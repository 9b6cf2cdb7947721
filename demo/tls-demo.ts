/**
 * The Ballerina TLS sample, end to end in one process: a TLS echo Listener
 * with a certificate made at run time (by the `openssl` command, in a temp
 * directory removed at the end) and a Client that trusts that certificate.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Client, Listener, type TcpError } from "../src/index.js";

/** A self-signed certificate for localhost, as `openssl` makes it. */
async function makeCertificate(dir: string): Promise<{ certFile: string; keyFile: string }> {
  const certFile = join(dir, "public.crt");
  const keyFile = join(dir, "private.key");
  try {
    await promisify(execFile)("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", keyFile, "-out", certFile, "-days", "1", "-subj", "/CN=localhost",
      "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
    ], { timeout: 30_000 });
  } catch (error) {
    throw new Error("the TLS demo makes its certificate with the openssl command; is openssl installed?", { cause: error });
  }
  return { certFile, keyFile };
}

const dir = await mkdtemp(join(tmpdir(), "tcpkit-tls-demo-"));
try {
  const { certFile, keyFile } = await makeCertificate(dir);

  const listener = new Listener(0, { localHost: "127.0.0.1", secureSocket: { key: { certFile, keyFile } } });
  listener.attach({
    onConnect(caller) {
      console.log(`[tls server] client connected: ${caller.remotePort} over ${caller.tls?.protocol} (${caller.tls?.cipher})`);
      return {
        onBytes: (data: Uint8Array) => data,
        onError: (error: TcpError) => console.error(`[tls server] an error occurred: ${error.message}`),
        onClose: () => console.log("[tls server] client left"),
      };
    },
    // Failed handshakes never reach onConnect; they are reported here.
    onError: (error: TcpError) => console.error(`[tls server] ${error.message}`),
  });
  await listener.start();
  console.log(`[tls server] listening on 127.0.0.1:${listener.localPort}`);

  const client = await Client.connect("localhost", listener.localPort, { timeout: 5, secureSocket: { cert: certFile } });
  const tls = client.tls!;
  console.log(`[tls client] connected over ${tls.protocol}; server certificate ${tls.peerCertificate?.subject}, verified: ${tls.peerVerified}`);
  const message = "Hello, World!";
  await client.writeBytes(message);
  const reply = await client.readExactly(Buffer.byteLength(message));
  console.log(`[tls client] Received message: ${Buffer.from(reply).toString("utf8")}`);
  await client.close();
  await listener.gracefulStop();
  console.log("[tls demo] done");
} finally {
  await rm(dir, { recursive: true, force: true });
}
