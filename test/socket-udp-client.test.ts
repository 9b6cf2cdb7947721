/**
 * tcpkit/socket UdpClient (the 1.2.0 API) against raw node:dgram peers: the
 * Ballerina 1.2.0 cases (echo, content receive on a given port, receiveFrom
 * with a length gathering across datagrams) and the edges (time-out keeps
 * gathered bytes, surplus kept, bad arguments, bad local address, IPv6).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GenericError, ReadTimedOutError, UdpClient } from "../src/socket/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { freeUdpPort, rawUdpEcho, rawUdpPeer, type RawUdpPeer } from "./helpers/udp-peers.js";

checkLeaksAfterEachTest();

const text = (data: Uint8Array): string => Buffer.from(data).toString("utf8");

/**
 * The client binds in its constructor, in the background: one datagram to
 * the peer (which sendTo sends only once bound) proves it is bound.
 */
async function bound(client: UdpClient, peer: RawUdpPeer): Promise<void> {
  await client.sendTo("ready?", { host: "127.0.0.1", port: peer.port });
  await peer.next();
}

/**
 * Runs `body` with a client on a free port of 127.0.0.1 that a raw peer has
 * heard from (so it is bound), and closes both after it, whatever happens.
 */
async function withBoundClient(
  readTimeoutInMillis: number,
  body: (parts: { client: UdpClient; peer: RawUdpPeer; port: number }) => Promise<void>,
): Promise<void> {
  const port = await freeUdpPort();
  const client = new UdpClient({ host: "127.0.0.1", port }, { readTimeoutInMillis });
  const peer = await rawUdpPeer();
  try {
    await bound(client, peer);
    await body({ client, peer, port });
  } finally {
    await client.close();
    await peer.close();
  }
}

describe("socket UdpClient (1.2.0)", () => {
  it("echo: sendTo returns the bytes sent; receiveFrom gives bytes, length and the sender (Ballerina testClientEcho)", async () => {
    const echo = await rawUdpEcho();
    const client = new UdpClient(undefined, { readTimeoutInMillis: 5000 });
    try {
      const msg = "Hello Ballerina echo";
      assert.equal(await client.sendTo(Buffer.from(msg), { host: "localhost", port: echo.port }), 20);
      const [content, length, address] = await client.receiveFrom();
      assert.equal(text(content), msg);
      assert.equal(length, 20);
      assert.deepEqual(address, { host: "127.0.0.1", port: echo.port });
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it("a client bound to a given port receives what is sent there (Ballerina testContentReceive)", async () => {
    await withBoundClient(5000, async ({ client, peer, port }) => {
      const receiving = client.receiveFrom();
      await peer.send("This is server", port);
      const [content, length] = await receiving;
      assert.equal(text(content), "This is server");
      assert.equal(length, 14);
    });
  });

  it("receiveFrom(length) gathers across datagrams (Ballerina testContentReceiveWithLength)", async () => {
    await withBoundClient(5000, async ({ client, peer, port }) => {
      const msg = "This is going to be a tricky"; // 28 bytes
      const receiving = client.receiveFrom(56);
      await peer.send(msg, port);
      await peer.send(msg, port);
      const [content, length, address] = await receiving;
      assert.equal(length, 56);
      assert.equal(text(content), msg + msg);
      assert.deepEqual(address, { host: "127.0.0.1", port: peer.port });
    });
  });

  it("the surplus of the last datagram is kept for the next receive, not dropped", async () => {
    await withBoundClient(5000, async ({ client, peer, port }) => {
      const receiving = client.receiveFrom(15);
      for (const piece of ["0123456789", "abcdefghij", "KLMNOPQRST"]) await peer.send(piece, port);
      assert.equal(text((await receiving)[0]), "0123456789abcde");
      assert.equal(text((await client.receiveFrom(15))[0]), "fghijKLMNOPQRST");
    });
  });

  it("a receive that times out is a ReadTimedOutError and keeps what it had gathered", async () => {
    await withBoundClient(50, async ({ client, peer, port }) => {
      await peer.send("first half", port);
      await assert.rejects(client.receiveFrom(20), (error: unknown) => {
        assert.ok(error instanceof ReadTimedOutError);
        assert.equal(error.message, "read timed out");
        return true;
      });
      await peer.send("2nd half..", port);
      const [content, length] = await client.receiveFrom(20);
      assert.equal(length, 20);
      assert.equal(text(content), "first half2nd half..");
    });
  });

  it("a 24 KiB datagram arrives whole through receiveFrom()", async () => {
    const echo = await rawUdpEcho();
    const client = new UdpClient(undefined, { readTimeoutInMillis: 5000 });
    try {
      const data = Buffer.alloc(24 * 1024, 3);
      assert.equal(await client.sendTo(data, { host: "127.0.0.1", port: echo.port }), 24 * 1024);
      const [content, length] = await client.receiveFrom();
      assert.equal(length, 24 * 1024);
      assert.deepEqual(Buffer.from(content), data);
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it("IPv6: a client bound to ::1", async () => {
    const echo = await rawUdpEcho("::1");
    const client = new UdpClient({ host: "::1", port: 0 }, { readTimeoutInMillis: 5000 });
    try {
      await client.sendTo("six", { host: "::1", port: echo.port });
      const [content, , address] = await client.receiveFrom();
      assert.equal(text(content), "six");
      assert.deepEqual(address, { host: "::1", port: echo.port });
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it("bad arguments, a bad local address, and use after close are GenericErrors", async () => {
    const broken = new UdpClient({ host: "invalid.invalid", port: 0 });
    await assert.rejects(broken.receiveFrom(), { name: "GenericError", message: /^unable to start the udp client: / });
    await assert.rejects(broken.sendTo("x", { host: "127.0.0.1", port: 9 }), { name: "GenericError" });
    await broken.close();

    const client = new UdpClient();
    await assert.rejects(client.receiveFrom(0), (error: unknown) => {
      assert.ok(error instanceof GenericError);
      assert.equal(error.message, "requested byte length need to be 1 or more");
      return true;
    });
    await assert.rejects(client.sendTo(Buffer.alloc(70_000), { host: "127.0.0.1", port: 9 }), {
      name: "GenericError",
      code: "ERR_MESSAGE_SIZE",
    });
    await client.close();
    await assert.rejects(client.receiveFrom(), { name: "GenericError", code: "ERR_SOCKET_CLOSED" });
  });
});
