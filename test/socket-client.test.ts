/**
 * tcpkit/socket Client (the 1.2.0 API) against raw node:net servers: the
 * Ballerina 1.2.0 client cases (write count, echo, shutdownWrite, invalid
 * read length, refused connection) and SPEC §7 (exact reads, end of stream,
 * read time-out, shutdownRead, close, callback service).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import { Client, GenericError, ReadTimedOutError, type Caller } from "../src/socket/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer, readFully } from "./helpers/peers.js";

checkLeaksAfterEachTest();

const text = (data: Uint8Array): string => Buffer.from(data).toString("utf8");

/** A raw echo server. */
function echoServer(): ReturnType<typeof rawServer> {
  return rawServer((socket) => socket.pipe(socket));
}

/**
 * A raw server on 127.0.0.1:0 that hands each accepted socket to the test;
 * with `allowHalfOpen` its sockets keep writing after the client's FIN.
 */
async function acceptingServer(options: { allowHalfOpen?: boolean } = {}) {
  const accepted: net.Socket[] = [];
  const waiting: ((s: net.Socket) => void)[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    sockets.add(socket);
    socket.on("error", () => {});
    socket.once("close", () => sockets.delete(socket));
    const waiter = waiting.shift();
    if (waiter !== undefined) waiter(socket);
    else accepted.push(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const next = (): Promise<net.Socket> => {
    const socket = accepted.shift();
    return socket !== undefined ? Promise.resolve(socket) : new Promise((resolve) => waiting.push(resolve));
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    next,
    async close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("socket Client (1.2.0)", () => {
  it("write returns the number of bytes written; the echo reads back (Ballerina testOneWayWrite / testEcho)", async () => {
    const server = await echoServer();
    const client = new Client({ host: "localhost", port: server.port, readTimeoutInMillis: 5000 });
    try {
      const msg = "Hello Ballerina";
      assert.equal(await client.write(Buffer.from(msg)), 15);
      const [bytes, length] = await client.read(15);
      assert.equal(length, 15);
      assert.equal(text(bytes), msg);
      assert.equal(client.remotePort, server.port);
      assert.ok(client.localPort > 0);
      assert.equal(client.remoteAddress, "127.0.0.1");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("after shutdownWrite the server sees end of stream and a write fails (Ballerina testShutdownWrite)", async () => {
    const server = await acceptingServer({ allowHalfOpen: true });
    const client = new Client({ host: "127.0.0.1", port: server.port, readTimeoutInMillis: 5000 });
    try {
      assert.equal(await client.write("Hello Ballerina1"), 16);
      const peer = await server.next();
      await client.shutdownWrite();
      // Read up to the FIN without ending our side (an async iterator would destroy the socket).
      const received: Buffer[] = [];
      peer.on("data", (chunk: Buffer) => received.push(chunk));
      await once(peer, "end");
      assert.equal(Buffer.concat(received).toString(), "Hello Ballerina1");
      await assert.rejects(client.write("Hello Ballerina2"), (error: unknown) => {
        assert.ok(error instanceof GenericError);
        return true;
      });
      // Reading goes on after our FIN.
      peer.end("still talking");
      const [bytes] = await client.read();
      assert.equal(text(bytes), "still talking");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("read(length) with a length under 1 is refused (Ballerina testInvalidReadParam)", async () => {
    const server = await echoServer();
    const client = new Client({ host: "localhost", port: server.port });
    try {
      for (const bad of [0, -5, 1.5]) {
        await assert.rejects(client.read(bad), (error: unknown) => {
          assert.ok(error instanceof GenericError);
          assert.equal(error.message, "requested byte length need to be 1 or more");
          return true;
        });
      }
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a refused connection: methods reject with 'unable to start the client socket: ...', nothing goes unhandled (Ballerina testInvalidAddress)", async () => {
    const server = await rawServer(() => {});
    const port = server.port;
    await server.close();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      const untouched = new Client({ host: "127.0.0.1", port }); // never used: must not be an unhandled rejection
      const client = new Client({ host: "127.0.0.1", port });
      await assert.rejects(client.write("x"), (error: unknown) => {
        assert.ok(error instanceof GenericError);
        assert.match(error.message, /^unable to start the client socket: .*ECONNREFUSED/);
        return true;
      });
      await assert.rejects(client.read(), { name: "GenericError", message: /^unable to start the client socket/ });
      await client.close();
      await untouched.close();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("exact reads add up across chunks: read(5) + read(4) + read(6) = 15, and read(15) spans three writes", async () => {
    const server = await acceptingServer();
    const client = new Client({ host: "127.0.0.1", port: server.port, readTimeoutInMillis: 5000 });
    try {
      await client.write("hi");
      const peer = await server.next();
      peer.write("Hello Ballerina");
      const parts = [await client.read(5), await client.read(4), await client.read(6)];
      assert.deepEqual(parts.map(([, n]) => n), [5, 4, 6]);
      assert.equal(parts.map(([b]) => text(b)).join(""), "Hello Ballerina");
      const whole = client.read(15);
      for (const piece of ["abcde", "fghij", "klmno"]) {
        peer.write(piece);
        await new Promise((resolve) => setImmediate(resolve));
      }
      const [bytes, length] = await whole;
      assert.equal(length, 15);
      assert.equal(text(bytes), "abcdefghijklmno");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a read that gets nothing times out with ReadTimedOutError 'read timed out' and loses nothing", async () => {
    const server = await acceptingServer();
    const client = new Client({ host: "127.0.0.1", port: server.port, readTimeoutInMillis: 50 });
    try {
      await client.write("x");
      const peer = await server.next();
      await assert.rejects(client.read(), (error: unknown) => {
        assert.ok(error instanceof ReadTimedOutError);
        assert.equal(error.message, "read timed out");
        assert.equal(error.code, "ERR_READ_TIMEOUT");
        return true;
      });
      peer.write("later");
      assert.equal(text((await client.read(5))[0]), "later");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("end of stream: what was left, then length -1 (length <= 0 means the peer closed)", async () => {
    const server = await acceptingServer();
    const client = new Client({ host: "127.0.0.1", port: server.port, readTimeoutInMillis: 5000 });
    try {
      await client.write("x");
      const peer = await server.next();
      peer.end("bye");
      const [rest, restLength] = await client.read(10);
      assert.equal(restLength, 3);
      assert.equal(text(rest), "bye");
      const [empty, length] = await client.read();
      assert.equal(length, -1);
      assert.equal(empty.length, 0);
      assert.equal((await client.read(4))[1], -1);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("shutdownRead: a waiting read and later reads see end of stream; writing goes on", async () => {
    const server = await acceptingServer();
    const client = new Client({ host: "127.0.0.1", port: server.port, readTimeoutInMillis: 0 });
    try {
      await client.write("one");
      const peer = await server.next();
      const waiting = client.read();
      await client.shutdownRead();
      assert.equal((await waiting)[1], -1);
      peer.write("dropped");
      assert.equal((await client.read())[1], -1);
      await client.write("two");
      assert.equal((await readFully(peer, 6)).toString(), "onetwo");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("close rejects a waiting read, is idempotent, and later calls fail", async () => {
    const server = await echoServer();
    const client = new Client({ host: "127.0.0.1", port: server.port, readTimeoutInMillis: 0 });
    await client.write("x");
    await client.read(1);
    const waiting = assert.rejects(client.read(), { name: "GenericError", message: "Socket connection already closed." });
    await client.close();
    await client.close();
    await waiting;
    await assert.rejects(client.write("y"), { name: "GenericError" });
    await assert.rejects(client.read(), { name: "GenericError" });
    await server.close();
  });

  it("a callbackService gets onConnect, then onReadReady when the server sends (module overview ClientService)", async () => {
    const server = await acceptingServer();
    const events: string[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const client = new Client({
      host: "localhost",
      port: server.port,
      readTimeoutInMillis: 5000,
      callbackService: {
        onConnect(caller: Caller) {
          events.push(`connect ${caller.remotePort === server.port}`);
        },
        async onReadReady(caller: Caller) {
          const [content, length] = await caller.read();
          events.push(length > 0 ? `read ${text(content)}` : "closed");
          if (length <= 0) resolveDone();
        },
      },
    });
    try {
      await client.write("Hello Ballerina\n");
      const peer = await server.next();
      peer.end("from the server");
      await done;
      assert.deepEqual(events, ["connect true", "read from the server", "closed"]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("a callbackService's onError gets socket errors and handler errors; the process survives", async () => {
    const server = await acceptingServer();
    const errors: string[] = [];
    let resolveSeen!: () => void;
    const seen = new Promise<void>((resolve) => (resolveSeen = resolve));
    const client = new Client({
      host: "127.0.0.1",
      port: server.port,
      callbackService: {
        onReadReady() {
          throw new Error("handler broke");
        },
        onError(_caller, error) {
          errors.push(`${error.name}: ${error.message}`);
          if (errors.length === 1) resolveSeen();
        },
      },
    });
    try {
      await client.write("x");
      const peer = await server.next();
      peer.write("boom");
      await seen;
      assert.deepEqual(errors, ["GenericError: handler broke"]);
    } finally {
      await client.close();
      await server.close();
    }
  });
});
