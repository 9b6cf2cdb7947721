/**
 * The command-line options a user of ncat and curl expects: `--insecure`
 * that really skips verification (with a loud warning), `listen` with TLS,
 * `--servername` and `--alpn`, a positional port, `udp send -` judging all
 * of stdin, and `listen | head -1` ending quietly.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import net from "node:net";
import tls from "node:tls";
import { test } from "node:test";
import { Client } from "../src/index.js";
import { CliProcess, runCli, startEchoServer } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient } from "./helpers/peers.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { rawUdpPeer } from "./helpers/udp-peers.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

const noStackTrace = /^\s+at /m;
const warning = /^tcpkit connect: WARNING: --insecure: the server's certificate is NOT verified/m;

/** A node:tls echo server that notes the SNI and ALPN each connection asked for. */
async function tlsEcho(options: tls.TlsOptions): Promise<{ port: number; seen: Array<{ servername: string | false; alpn: string | false }>; close(): Promise<void> }> {
  const seen: Array<{ servername: string | false; alpn: string | false }> = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer(options, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    seen.push({ servername: (socket as tls.TLSSocket & { servername: string | false }).servername, alpn: socket.alpnProtocol ?? false });
    socket.pipe(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("connect --insecure (-k) accepts an untrusted, wrongly named certificate, and warns on stderr", { timeout: 30_000 }, async () => {
  const { server, port } = await startEchoServer("--tls-cert", pki.selfSignedCert, "--tls-key", pki.selfSignedKey);
  try {
    const refused = await runCli(["connect", "127.0.0.1", String(port), "--tls"], { input: "x" });
    assert.equal(refused.code, 1, "verified by default");
    for (const flag of ["--insecure", "-k"]) {
      const result = await runCli(["connect", "127.0.0.1", String(port), flag, "-v"], { input: "trusted blindly" });
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout.toString(), "trusted blindly");
      assert.match(result.stderr, warning);
      assert.match(result.stderr, /certificate CN=localhost \(not verified\)/);
    }
  } finally {
    await server.stop("SIGTERM");
  }
});

test("listen with --tls-cert/--tls-key serves TLS: bytes to stdout, stdin to the peer", { timeout: 30_000 }, async () => {
  const listen = new CliProcess(["listen", "0", "--host", "127.0.0.1", "--tls-cert", pki.serverCert, "--tls-key", pki.serverKey]);
  try {
    const match = await listen.waitFor(/^listening on 127\.0\.0\.1:(\d+) \(TLS\)$/m, "stderr");
    const client = await Client.connect("localhost", Number(match[1]), { timeout: 10, secureSocket: { cert: pki.caCert } });
    try {
      await client.writeBytes("over tls\n");
      await listen.waitFor(/over tls\n/, "stdout");
      await listen.waitFor(/^connection from 127\.0\.0\.1:\d+, TLSv1\.[23] \S+$/m, "stderr");
      listen.child.stdin!.write("back to you\n");
      assert.equal(Buffer.from(await client.readExactly(12)).toString(), "back to you\n");
    } finally {
      await client.close();
    }
    const result = await listen.finish();
    assert.equal(result.code, 0, result.stderr);
  } finally {
    await listen.stop("SIGKILL");
  }
});

test("connect --servername sends that SNI and checks the certificate against it; --alpn offers protocols", { timeout: 30_000 }, async () => {
  // A certificate for other.example only, reached by IP address.
  const server = await tlsEcho({
    cert: await readFile(pki.wrongHostCert),
    key: await readFile(pki.wrongHostKey),
    ALPNProtocols: ["http/1.1"],
  });
  try {
    const named = await runCli(
      ["connect", "127.0.0.1", String(server.port), "--ca", pki.caCert, "--servername", "other.example", "--alpn", "h2,http/1.1", "-v"],
      { input: "sni" },
    );
    assert.equal(named.code, 0, named.stderr);
    assert.equal(named.stdout.toString(), "sni");
    assert.match(named.stderr, /, ALPN http\/1\.1, certificate CN=other\.example \(verified\)$/m);
    assert.deepEqual(server.seen.at(-1), { servername: "other.example", alpn: "http/1.1" });

    const wrongName = await runCli(["connect", "127.0.0.1", String(server.port), "--ca", pki.caCert, "--servername", "localhost"], { input: "x" });
    assert.equal(wrongName.code, 1, "the certificate does not name the server name given");

    const bad = await runCli(["connect", "127.0.0.1", String(server.port), "--alpn", "h2,,x"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^tcpkit connect: --alpn must be a comma-separated list/);
  } finally {
    await server.close();
  }
});

test("a positional port: tcpkit listen 0, tcpkit echo 0, tcpkit udp listen 0; not both forms at once", { timeout: 30_000 }, async () => {
  const listen = new CliProcess(["listen", "0", "--host", "127.0.0.1"]);
  const echo = new CliProcess(["echo", "0", "--host", "127.0.0.1"]);
  const udp = new CliProcess(["udp", "listen", "0", "--host", "127.0.0.1"]);
  try {
    await listen.waitFor(/^listening on 127\.0\.0\.1:\d+$/m, "stderr");
    const match = await echo.waitFor(/^echo server listening on 127\.0\.0\.1:(\d+)$/m, "stdout");
    await udp.waitFor(/^listening on udp 127\.0\.0\.1:\d+$/m, "stderr");
    const socket = await rawClient(Number(match[1]));
    socket.end("ping");
    const [echoed] = (await once(socket, "data")) as [Buffer];
    assert.equal(echoed.toString(), "ping");
    socket.destroy();
  } finally {
    await Promise.all([listen.stop("SIGINT"), echo.stop("SIGINT"), udp.stop("SIGINT")]);
  }
  const both = await runCli(["listen", "7000", "--port", "7001"]);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /^tcpkit listen: give the port once: PORT or --port N$/m);
  const bad = await runCli(["echo", "seventy"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^tcpkit echo: PORT must be a number from 0 to 65535, got 'seventy'$/m);
});

test("udp send - reads all of stdin before judging its size", { timeout: 30_000 }, async () => {
  const peer = await rawUdpPeer();
  try {
    const result = await runCli(["udp", "send", "127.0.0.1", String(peer.port), "-"], { input: Buffer.alloc(1024 * 1024, 1) });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^tcpkit udp send: Datagram too large: stdin held 1048576 bytes; the UDP maximum is 65507 bytes over IPv4/);
    assert.doesNotMatch(result.stderr, noStackTrace);
    // Just under a limit that a 64 KiB read cap would have hidden: sent whole.
    const fits = await runCli(["udp", "send", "127.0.0.1", String(peer.port), "-"], { input: Buffer.alloc(65_000, 2) });
    assert.equal(fits.code, 0, fits.stderr);
    const datagram = await peer.next();
    assert.equal(datagram.data.length, 65_000);
  } finally {
    await peer.close();
  }
});

test("tcpkit listen ... | head -1: when stdout's reader goes away the command ends quietly with 0", { timeout: 30_000 }, async () => {
  const listen = new CliProcess(["listen", "0", "--host", "127.0.0.1"]);
  let socket: net.Socket | undefined;
  try {
    const match = await listen.waitFor(/^listening on 127\.0\.0\.1:(\d+)$/m, "stderr");
    socket = await rawClient(Number(match[1]));
    socket.write("first line\n");
    await listen.waitFor(/first line\n/, "stdout");
    listen.child.stdout!.destroy(); // head -1 has its line and exits
    socket.write(Buffer.alloc(256 * 1024, 0x61)); // the next write to stdout meets EPIPE
    const result = await listen.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stderr, noStackTrace);
    assert.doesNotMatch(result.stderr, /EPIPE|Error/);
  } finally {
    socket?.destroy();
    await listen.stop("SIGKILL");
  }
});
