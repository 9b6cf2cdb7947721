/**
 * tcpkit/udp Client (connectionless), against raw node:dgram peers: the
 * Ballerina cases (echo, invalid local host, content receive) and SPEC §6
 * (sender's address, whole datagrams, size limit, time-outs, IPv4 and IPv6).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Client, UdpError } from "../src/udp/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawUdpEcho, rawUdpPeer } from "./helpers/udp-peers.js";

checkLeaksAfterEachTest();

const text = (data: Uint8Array): string => Buffer.from(data).toString("utf8");

describe("udp Client", () => {
  it("echo: sends a datagram and receives the reply (Ballerina testClientEcho)", async () => {
    const echo = await rawUdpEcho();
    const client = await Client.create({ timeout: 5 });
    try {
      const msg = "Hello Ballerina echo";
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: echo.port, data: msg });
      const reply = await client.receiveDatagram();
      assert.equal(text(reply.data), msg);
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it("an invalid localHost fails with 'Error initializing UDP Client' (Ballerina testInvalidLocalHostInClient)", async () => {
    await assert.rejects(Client.create({ localHost: "invalid.invalid", timeout: 1.5 }), (error: unknown) => {
      assert.ok(error instanceof UdpError);
      assert.equal(error.code, "ERR_BIND");
      assert.match(error.message, /^Error initializing UDP Client: /);
      return true;
    });
    // A local address this host does not own: the bind error is reported the same way, no crash.
    await assert.rejects(Client.create({ localHost: "192.0.2.1" }), { code: "ERR_BIND", message: /^Error initializing UDP Client: .*EADDRNOTAVAIL/ });
  });

  it("content receive, twice (Ballerina testContentReceive)", async () => {
    const server = await rawUdpPeer("127.0.0.1", (data) =>
      data.toString() === "Hello server! send me the data" ? "Hi client! here is your data" : data,
    );
    const client = await Client.create({ localHost: "localhost", timeout: 3 });
    try {
      const datagram = { remoteHost: "localhost", remotePort: server.port, data: "Hello server! send me the data" };
      await client.sendDatagram(datagram);
      assert.equal(text((await client.receiveDatagram()).data), "Hi client! here is your data");
      await client.sendDatagram(datagram);
      assert.equal(text((await client.receiveDatagram()).data), "Hi client! here is your data");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("receiveDatagram reports the sender's address, not the client's own", async () => {
    const peer = await rawUdpPeer();
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    try {
      assert.equal(client.localHost, "127.0.0.1");
      assert.ok(client.localPort > 0);
      await peer.send("from the peer", client.localPort);
      const datagram = await client.receiveDatagram();
      assert.equal(datagram.remoteHost, "127.0.0.1");
      assert.equal(datagram.remotePort, peer.port);
      assert.notEqual(datagram.remotePort, client.localPort);
      assert.equal(text(datagram.data), "from the peer");
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it("a 24 KiB datagram arrives whole (Ballerina truncates to 2048 and splits at 8192)", async () => {
    const peer = await rawUdpPeer();
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    try {
      const data = Buffer.alloc(24 * 1024);
      data[8191] = 97;
      data[16383] = 98;
      data[24575] = 99;
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: peer.port, data });
      const got = await peer.next();
      assert.equal(got.data.length, 24 * 1024, "one send is one datagram");
      assert.deepEqual(got.data, data);
      await peer.send(data, client.localPort);
      const back = await client.receiveDatagram();
      assert.equal(back.data.length, 24 * 1024, "one receive is one whole datagram");
      assert.deepEqual(Buffer.from(back.data), data);
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it("the largest IPv4 payload goes out whole; one byte more is a clear ERR_MESSAGE_SIZE", async () => {
    const peer = await rawUdpPeer();
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    try {
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: peer.port, data: Buffer.alloc(65_507, 1) });
      assert.equal((await peer.next()).data.length, 65_507);
      await assert.rejects(
        client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: peer.port, data: Buffer.alloc(65_508) }),
        (error: unknown) => {
          assert.ok(error instanceof UdpError);
          assert.equal(error.code, "ERR_MESSAGE_SIZE");
          assert.match(error.message, /65508 bytes.*65507/);
          return true;
        },
      );
      // The client is still usable.
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: peer.port, data: "still here" });
      assert.equal((await peer.next()).data.toString(), "still here");
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it("a receive that times out says 'Read timed out', loses nothing, and the client stays usable", async () => {
    const peer = await rawUdpPeer();
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 0.05 });
    try {
      await assert.rejects(client.receiveDatagram(), (error: unknown) => {
        assert.ok(error instanceof UdpError);
        assert.equal(error.code, "ERR_READ_TIMEOUT");
        assert.equal(error.message, "Read timed out");
        return true;
      });
      await peer.send("after the time-out", client.localPort);
      assert.equal(text((await client.receiveDatagram()).data), "after the time-out");
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it("an aborted receive takes nothing; the datagram goes to the next receive", async () => {
    const peer = await rawUdpPeer();
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 0 });
    try {
      const controller = new AbortController();
      const aborted = client.receiveDatagram({ signal: controller.signal });
      controller.abort();
      await assert.rejects(aborted, { name: "UdpError", code: "ERR_ABORTED" });
      await peer.send("kept", client.localPort);
      assert.equal(text((await client.receiveDatagram()).data), "kept");
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it("IPv6: a client bound to ::1 exchanges datagrams with an IPv6 peer", async () => {
    const echo = await rawUdpEcho("::1");
    const client = await Client.create({ localHost: "::1", timeout: 5 });
    try {
      assert.equal(client.localHost, "::1");
      await client.sendDatagram({ remoteHost: "::1", remotePort: echo.port, data: "over IPv6" });
      const reply = await client.receiveDatagram();
      assert.equal(text(reply.data), "over IPv6");
      assert.equal(reply.remoteHost, "::1");
      assert.equal(reply.remotePort, echo.port);
    } finally {
      await client.close();
      await echo.close();
    }
  });

  it("without localHost one client talks to IPv4 and IPv6 peers and reports plain IPv4 addresses", async () => {
    const echo4 = await rawUdpEcho("127.0.0.1");
    const echo6 = await rawUdpEcho("::1");
    const client = await Client.create({ timeout: 5 });
    try {
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: echo4.port, data: "v4" });
      const from4 = await client.receiveDatagram();
      assert.deepEqual([from4.remoteHost, from4.remotePort, text(from4.data)], ["127.0.0.1", echo4.port, "v4"]);
      await client.sendDatagram({ remoteHost: "::1", remotePort: echo6.port, data: "v6" });
      const from6 = await client.receiveDatagram();
      assert.deepEqual([from6.remoteHost, from6.remotePort, text(from6.data)], ["::1", echo6.port, "v6"]);
    } finally {
      await client.close();
      await echo4.close();
      await echo6.close();
    }
  });

  it("close() rejects a waiting receive, is idempotent, and later calls fail clearly", async () => {
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 0 });
    // The assertion is attached before close(): Deno reports a rejection left unhandled across a tick.
    const waiting = assert.rejects(client.receiveDatagram(), { code: "ERR_SOCKET_CLOSED" });
    await client.close();
    await client.close();
    await waiting;
    await assert.rejects(client.receiveDatagram(), { code: "ERR_SOCKET_CLOSED" });
    await assert.rejects(client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: 9, data: "x" }), {
      name: "UdpError",
      code: "ERR_SOCKET_CLOSED",
    });
  });

  it("bad arguments are UdpErrors, not crashes", async () => {
    await assert.rejects(Client.create({ timeout: -1 }), { code: "ERR_INVALID_ARGUMENT", message: /^Error initializing UDP Client: timeout/ });
    const client = await Client.create({ localHost: "127.0.0.1" });
    try {
      await assert.rejects(client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: 0, data: "x" }), { code: "ERR_INVALID_ARGUMENT" });
      await assert.rejects(client.sendDatagram({ remoteHost: "no-such-host.invalid", remotePort: 9, data: "x" }), {
        code: "ERR_WRITE",
        message: /^Failed to send data: /,
      });
      await assert.rejects(
        client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: 9, data: 42 as unknown as string }),
        { name: "UdpError", code: "ERR_INVALID_ARGUMENT" },
      );
    } finally {
      await client.close();
    }
  });

  it("Symbol.asyncDispose closes the client", async () => {
    let closedClient: Client;
    {
      await using client = await Client.create({ localHost: "127.0.0.1" });
      closedClient = client;
    }
    await assert.rejects(closedClient.receiveDatagram(), { code: "ERR_SOCKET_CLOSED" });
  });
});
