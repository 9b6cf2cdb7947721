/**
 * TCP is two directions: the peer's FIN ends the client's reading, not its
 * writing. Checked against raw node:net (and node:tls) servers that
 * half-close at once and hash what they receive.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";
import { describe, it } from "node:test";
import { Client, ConnectionClosedError } from "../src/index.js";
import { rejection } from "./helpers/assertions.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { readToEnd } from "./helpers/peers.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

interface HalfClosingServer {
  readonly port: number;
  /** What each connection sent, in connection order, once it ended. */
  readonly received: Promise<Buffer>[];
  readonly sockets: Set<net.Socket>;
  close(): Promise<void>;
}

/** A server that sends `greeting`, half-closes at once (allowHalfOpen), and keeps reading. */
async function halfClosingServer(greeting: string, secure?: tls.TlsOptions): Promise<HalfClosingServer> {
  const received: Promise<Buffer>[] = [];
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket): void => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    received.push(readToEnd(socket));
    socket.end(greeting);
  };
  const server =
    secure === undefined
      ? net.createServer({ allowHalfOpen: true }, onSocket)
      : tls.createServer({ ...secure, allowHalfOpen: true }, onSocket);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    received,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const sha256 = (data: Uint8Array): string => createHash("sha256").update(data).digest("hex");

describe("Client after the peer's FIN", () => {
  it("reads end, writes go on until shutdownWrite: every byte arrives", async () => {
    const server = await halfClosingServer("bye");
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    try {
      const chunks: string[] = [];
      for await (const chunk of client) chunks.push(Buffer.from(chunk).toString());
      assert.deepEqual(chunks, ["bye"]);
      const end = await rejection(client.readBytes());
      assert.ok(end instanceof ConnectionClosedError);
      assert.equal(end.message, "Connection closed by the server.");

      const payload = randomBytes(8 * 1024 * 1024);
      for (let at = 0; at < payload.length; at += 256 * 1024) await client.writeBytes(payload.subarray(at, at + 256 * 1024));
      await client.writeBytes("tail");
      await client.shutdownWrite();
      const got = await server.received[0]!;
      assert.equal(got.length, payload.length + 4);
      assert.equal(sha256(got), sha256(Buffer.concat([payload, Buffer.from("tail")])));
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a write right after connect to a peer that already sent FIN still arrives", async () => {
    const server = await halfClosingServer("");
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    try {
      // Wait for the FIN to be seen: the read side reports the end.
      assert.equal((await rejection(client.readBytes())).code, "ERR_CONNECTION_CLOSED");
      await client.writeBytes("hello\n");
      await client.shutdownWrite();
      assert.equal((await server.received[0]!).toString(), "hello\n");
    } finally {
      await client.close();
    }
    await server.close();
  });

  it("close() after the peer's FIN: later writes say 'Socket connection already closed.'", async () => {
    const server = await halfClosingServer("x");
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    await rejection(client.readExactly(2));
    await client.close();
    const error = await rejection(client.writeBytes("late"));
    assert.equal(error.code, "ERR_SOCKET_CLOSED");
    assert.equal(error.message, "Socket connection already closed.");
    await server.close();
  });

  it("a reset after the FIN fails the writes instead of reporting them sent", async () => {
    const server = await halfClosingServer("");
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    try {
      await rejection(client.readBytes());
      const [peer] = server.sockets;
      const gone = once(peer!, "close");
      peer!.resetAndDestroy();
      await gone;
      // The kernel may take the first write before the reset is seen; keep writing until one fails.
      let failure: unknown;
      for (let i = 0; i < 1000 && failure === undefined; i++) {
        await client.writeBytes(Buffer.alloc(64 * 1024)).catch((error: unknown) => (failure = error));
      }
      assert.ok(failure instanceof Error, "a write fails once the peer has reset");
      assert.ok(["ERR_WRITE", "ERR_SOCKET_CLOSED", "ERR_CONNECTION_CLOSED"].includes((failure as { code?: string }).code ?? ""));
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("over TLS too: the server's close_notify ends reading, writing goes on", async () => {
    const server = await halfClosingServer("tls bye", { cert: await readPem(pki.serverCert), key: await readPem(pki.serverKey) });
    const client = await Client.connect("localhost", server.port, { timeout: 5, secureSocket: { cert: pki.caCert } });
    try {
      const chunks: string[] = [];
      for await (const chunk of client) chunks.push(Buffer.from(chunk).toString());
      assert.equal(chunks.join(""), "tls bye");
      const payload = randomBytes(1024 * 1024);
      await client.writeBytes(payload);
      await client.shutdownWrite();
      assert.equal(sha256(await server.received[0]!), sha256(payload));
    } finally {
      await client.close();
      await server.close();
    }
  });
});

async function readPem(path: string): Promise<Buffer> {
  const { readFile } = await import("node:fs/promises");
  return readFile(path);
}
