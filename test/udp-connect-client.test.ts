/**
 * tcpkit/udp ConnectClient against raw node:dgram peers: the Ballerina cases
 * (echo, invalid local host, read time-out) and what a connected socket
 * adds (only the peer's datagrams arrive, refusals surface, IPv6).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ConnectClient, UdpError } from "../src/udp/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { skipOn } from "./helpers/runtime.js";
import { freeUdpPort, rawUdpEcho, rawUdpPeer } from "./helpers/udp-peers.js";

checkLeaksAfterEachTest();

const text = (data: Uint8Array): string => Buffer.from(data).toString("utf8");

describe("udp ConnectClient", () => {
  it("echo (Ballerina testConnectClientEcho)", async () => {
    const echo = await rawUdpEcho();
    const client = await ConnectClient.connect("localhost", echo.port, { timeout: 5 });
    try {
      const msg = "Echo from connect client";
      await client.writeBytes(msg);
      assert.equal(text(await client.readBytes()), msg);
      assert.equal(client.remotePort, echo.port);
      assert.equal(client.remoteHost, "127.0.0.1");
      assert.ok(client.localPort > 0);
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it("an invalid localHost fails with 'Error initializing UDP Client' (Ballerina testInvalidLocalHostInConnectClient)", async () => {
    await assert.rejects(ConnectClient.connect("localhost", 48830, { localHost: "invalid.invalid", timeout: 1.5 }), {
      name: "UdpError",
      code: "ERR_BIND",
      message: /^Error initializing UDP Client: /,
    });
    await assert.rejects(ConnectClient.connect("localhost", 0), { message: /^Error initializing UDP Client: .*port/ });
  });

  it("a read with nobody sending times out with 'Read timed out' (Ballerina testConnectClientReadTimeOut)", async () => {
    const port = await freeUdpPort();
    const client = await ConnectClient.connect("localhost", port, { localHost: "localhost", timeout: 0.1 });
    try {
      await assert.rejects(client.readBytes(), (error: unknown) => {
        assert.ok(error instanceof UdpError);
        assert.equal(error.message, "Read timed out");
        assert.equal(error.code, "ERR_READ_TIMEOUT");
        return true;
      });
    } finally {
      await client.close();
    }
  });

  it("only the connected peer's datagrams arrive", async () => {
    const peer = await rawUdpPeer();
    const stranger = await rawUdpPeer();
    const client = await ConnectClient.connect("127.0.0.1", peer.port, { timeout: 5 });
    try {
      await stranger.send("from a stranger", client.localPort);
      await peer.send("from the peer", client.localPort);
      assert.equal(text(await client.readBytes()), "from the peer");
    } finally {
      await client.close();
      await peer.close();
      await stranger.close();
    }
  });

  it("one write is one datagram, whole, up to the UDP maximum; more is ERR_MESSAGE_SIZE", async () => {
    const peer = await rawUdpPeer();
    const client = await ConnectClient.connect("127.0.0.1", peer.port, { timeout: 5 });
    try {
      await client.writeBytes(Buffer.alloc(24 * 1024, 7));
      assert.equal((await peer.next()).data.length, 24 * 1024);
      await assert.rejects(client.writeBytes(Buffer.alloc(70_000)), { name: "UdpError", code: "ERR_MESSAGE_SIZE" });
    } finally {
      await client.close();
      await peer.close();
    }
  });

  const refusals = { skip: skipOn("deno", "Deno's dgram connect() does not connect the OS socket, so no ICMP error reaches it (denoland/deno#36492)") };
  it("a refusal from the peer's host rejects a read; the client stays usable", refusals, async () => {
    const port = await freeUdpPort();
    const client = await ConnectClient.connect("127.0.0.1", port, { timeout: 5 });
    try {
      await client.writeBytes("anyone there?");
      await assert.rejects(client.readBytes(), { name: "UdpError", message: /^Failed to receive data: .*ECONNREFUSED/ });
      await client.writeBytes("still writable");
    } finally {
      await client.close();
    }
  });

  it("IPv6: connects to ::1", async () => {
    const echo = await rawUdpEcho("::1");
    const client = await ConnectClient.connect("::1", echo.port, { timeout: 5 });
    try {
      await client.writeBytes("v6");
      assert.equal(text(await client.readBytes()), "v6");
      assert.equal(client.remoteHost, "::1");
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it("close() rejects a waiting read and later use", async () => {
    const echo = await rawUdpEcho();
    const client = await ConnectClient.connect("127.0.0.1", echo.port, { timeout: 0 });
    // The assertion is attached before close(): Deno reports a rejection left unhandled across a tick.
    const waiting = assert.rejects(client.readBytes(), { code: "ERR_SOCKET_CLOSED" });
    await client.close();
    await echo.close();
    await waiting;
    await assert.rejects(client.writeBytes("x"), { code: "ERR_SOCKET_CLOSED" });
  });
});
