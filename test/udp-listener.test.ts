/**
 * tcpkit/udp Listener: the Ballerina listener cases (read, caller sendBytes /
 * sendDatagram, returned datagram, connected listener, multiple datagrams,
 * attach/detach, detach error) and SPEC §6 (service checked at attach, a
 * throwing handler keeps the listener serving, order, stops, IPv4 and IPv6).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Client, Listener, UdpError, type Datagram, type Service } from "../src/udp/index.js";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { freeUdpPort, rawUdpPeer } from "./helpers/udp-peers.js";

checkLeaksAfterEachTest();

const text = (data: Uint8Array): string => Buffer.from(data).toString("utf8");

/** Starts `service` on a fresh listener on 127.0.0.1:0 and gives a client bound to 127.0.0.1. */
async function serve(service: Service, config: ConstructorParameters<typeof Listener>[1] = { localHost: "127.0.0.1" }) {
  const listener = new Listener(0, config);
  listener.attach(service);
  await listener.start();
  const client = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
  const send = (data: Uint8Array | string): Promise<void> =>
    client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: listener.localPort, data });
  const close = async (): Promise<void> => {
    await client.close();
    await listener.gracefulStop();
  };
  return { listener, client, send, close };
}

/** A started echo listener that records each sender's address, in order. */
async function senderRecordingEcho(config?: ConstructorParameters<typeof Listener>[1]): Promise<{ listener: Listener; senders: string[] }> {
  const listener = new Listener(0, config);
  const senders: string[] = [];
  listener.attach({
    onBytes(data, caller) {
      senders.push(caller.remoteHost);
      return data;
    },
  });
  await listener.start();
  return { listener, senders };
}

describe("udp Listener", () => {
  it("onBytes gets each datagram's payload in order (Ballerina testListenerRead)", async () => {
    const seen: string[] = [];
    const all = deferred();
    const { send, close } = await serve({
      onBytes(data) {
        seen.push(text(data));
        if (seen.length === 3) all.resolve();
      },
    });
    try {
      for (const msg of ["Log message one", "Log message two", "Log message three"]) await send(msg);
      await all.promise;
      assert.deepEqual(seen, ["Log message one", "Log message two", "Log message three"]);
    } finally {
      await close();
    }
  });

  it("returned bytes go back to the sender (Ballerina echo server)", async () => {
    const { client, send, listener, close } = await serve({ onBytes: (data) => data });
    try {
      for (const msg of ["Log message one", "Log message two", "Log message three"]) {
        await send(msg);
        const reply = await client.receiveDatagram();
        assert.equal(text(reply.data), msg);
        assert.equal(reply.remotePort, listener.localPort);
      }
    } finally {
      await close();
    }
  });

  it("caller.sendBytes replies to the sender (Ballerina testCallerSendBytes)", async () => {
    const { client, send, close } = await serve({
      async onBytes(data, caller) {
        assert.equal(caller.remoteHost, "127.0.0.1");
        await caller.sendBytes(data);
      },
    });
    try {
      await send("Hello via caller");
      assert.equal(text((await client.receiveDatagram()).data), "Hello via caller");
    } finally {
      await close();
    }
  });

  it("onDatagram with caller.sendDatagram and a returned Datagram (Ballerina testCallerSendDatagram bot)", async () => {
    const answers: Record<string, string> = { hi: "hi there!", "who are you?": "I'm a ballerina bot" };
    const { client, send, close } = await serve({
      async onDatagram(datagram, caller) {
        const question = text(datagram.data);
        const answer = answers[question];
        if (answer !== undefined) return { remoteHost: caller.remoteHost, remotePort: caller.remotePort, data: answer };
        await caller.sendDatagram({ remoteHost: caller.remoteHost, remotePort: caller.remotePort, data: "Sorry, I can't help you with that" });
        return undefined;
      },
    });
    try {
      const replies: string[] = [];
      for (const msg of ["hi", "who are you?", "other"]) {
        await send(msg);
        replies.push(text((await client.receiveDatagram()).data));
      }
      assert.deepEqual(replies, ["hi there!", "I'm a ballerina bot", "Sorry, I can't help you with that"]);
    } finally {
      await close();
    }
  });

  it("a returned Datagram goes to its address (Ballerina testReturnDatagram), and the datagram carries the sender", async () => {
    let received: Datagram | undefined;
    const { client, send, close } = await serve({
      onDatagram(datagram) {
        received = datagram;
        return datagram;
      },
    });
    try {
      await send("Hello Ballerina echo");
      assert.equal(text((await client.receiveDatagram()).data), "Hello Ballerina echo");
      assert.equal(received?.remoteHost, "127.0.0.1");
      assert.equal(received?.remotePort, client.localPort);
    } finally {
      await close();
    }
  });

  it("a connected listener serves only its peer (Ballerina testConnectedListener)", async () => {
    const peer = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    const stranger = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    const senders: number[] = [];
    const listener = new Listener(0, { localHost: "127.0.0.1", remoteHost: "127.0.0.1", remotePort: peer.localPort });
    listener.attach({
      onBytes(_data, caller) {
        senders.push(caller.remotePort);
        return `You are running on ${caller.remotePort}`;
      },
    });
    await listener.start();
    try {
      // The stranger's datagram is sent first; the kernel filters it out, so the peer's reply is the first handled.
      await stranger.sendDatagram({ remoteHost: "127.0.0.1", remotePort: listener.localPort, data: "let me in" });
      await peer.sendDatagram({ remoteHost: "127.0.0.1", remotePort: listener.localPort, data: "Echo from connect client" });
      assert.equal(text((await peer.receiveDatagram()).data), `You are running on ${peer.localPort}`);
      assert.deepEqual(senders, [peer.localPort]);
    } finally {
      await listener.gracefulStop();
      await peer.close();
      await stranger.close();
    }
  });

  it("remoteHost without remotePort is refused with Ballerina's message", async () => {
    const listener = new Listener(0, { remoteHost: "127.0.0.1" });
    listener.attach({ onBytes: () => undefined });
    await assert.rejects(listener.start(), {
      name: "UdpError",
      message: "Required both remoteHost and remotePort to connect to remote address.",
    });
    await assert.rejects(new Listener(0, { remotePort: 9 }).start(), {
      message: "Required both remoteHost and remotePort to connect to remote address.",
    });
  });

  it("a handler sends several datagrams; a reply over the UDP maximum is a clear error, not a split (Ballerina testListenerForSendingMultipleDatagrams)", async () => {
    const errors: UdpError[] = [];
    const reported = deferred();
    const { client, send, close } = await serve({
      async onDatagram(_datagram, caller) {
        for (let i = 0; i < 3; i++) await caller.sendBytes(Buffer.alloc(8192, i));
        await caller.sendDatagram({ remoteHost: caller.remoteHost, remotePort: caller.remotePort, data: Buffer.alloc(80_001) });
      },
      onError(error) {
        errors.push(error);
        reported.resolve();
      },
    });
    try {
      await send("Send me the data");
      let total = 0;
      for (let i = 0; i < 3; i++) {
        const datagram = await client.receiveDatagram();
        assert.equal(datagram.data.length, 8192);
        assert.equal(datagram.data[0], i);
        total += datagram.data.length;
      }
      assert.equal(total, 3 * 8192);
      await reported.promise;
      assert.equal(errors[0]?.code, "ERR_MESSAGE_SIZE");
    } finally {
      await close();
    }
  });

  it("a handler that throws (or returns an error) goes to onError and the listener keeps serving", async () => {
    const errors: UdpError[] = [];
    const { client, send, close } = await serve({
      onBytes(data) {
        const msg = text(data);
        if (msg === "throw") throw new TypeError("handler blew up");
        if (msg === "return") return new Error("handler returned an error");
        if (msg === "reject") return Promise.reject(new Error("handler rejected"));
        return data;
      },
      onError(error) {
        errors.push(error);
        throw new Error("and onError throws too"); // must not crash anything
      },
    });
    try {
      for (const msg of ["throw", "return", "reject", "still serving"]) await send(msg);
      assert.equal(text((await client.receiveDatagram()).data), "still serving");
      assert.deepEqual(
        errors.map((e) => [e instanceof UdpError, e.message]),
        [
          [true, "handler blew up"],
          [true, "handler returned an error"],
          [true, "handler rejected"],
        ],
      );
      assert.ok(errors[0]?.cause instanceof TypeError);
    } finally {
      await close();
    }
  });

  it("handlers run one at a time, in arrival order, even when async", async () => {
    let active = 0;
    let maxActive = 0;
    const order: string[] = [];
    const done = deferred();
    const { send, close } = await serve({
      async onBytes(data) {
        active++;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setImmediate(resolve));
        order.push(text(data));
        active--;
        if (order.length === 5) done.resolve();
      },
    });
    try {
      for (let i = 0; i < 5; i++) await send(String(i));
      await done.promise;
      assert.deepEqual(order, ["0", "1", "2", "3", "4"]);
      assert.equal(maxActive, 1);
    } finally {
      await close();
    }
  });

  it("the service is checked at attach: exactly one of onBytes / onDatagram", () => {
    const listener = new Listener(0);
    const invalid = [
      {},
      { onError() {} },
      { onBytes() {}, onDatagram() {} },
      { onBytes: "not a function" },
      { onDatagram() {}, onError: 3 },
      null,
    ];
    for (const service of invalid) {
      assert.throws(() => listener.attach(service as unknown as Service), (error: unknown) => {
        assert.ok(error instanceof UdpError);
        assert.equal(error.code, "ERR_INVALID_ARGUMENT");
        return true;
      });
    }
  });

  it("attach / detach (Ballerina testListenerAttachDetatch), and the detach error message", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    const dummy: Service = { onBytes() {}, onError() {} };
    listener.attach(dummy);
    assert.throws(() => listener.attach({ onBytes() {} }), { name: "UdpError", message: /already attached/ });
    listener.detach(dummy);
    assert.throws(() => listener.detach(dummy), { name: "UdpError", message: "service is not attached to the listener" });
    // A detached listener runs; a service attached later serves.
    await listener.start();
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    try {
      listener.attach({ onBytes: (data) => data });
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: listener.localPort, data: "after attach" });
      assert.equal(text((await client.receiveDatagram()).data), "after attach");
    } finally {
      await client.close();
      await listener.gracefulStop();
    }
  });

  it("start failures: port in use, bad host, bad port; stop before start", async () => {
    const holder = await rawUdpPeer();
    try {
      const busy = new Listener(holder.port, { localHost: "127.0.0.1" });
      busy.attach({ onBytes() {} });
      await assert.rejects(busy.start(), { name: "UdpError", code: "ERR_LISTENER", message: /^Unable to initialize UDP Listener: .*EADDRINUSE/ });
    } finally {
      await holder.close();
    }
    await assert.rejects(new Listener(0, { localHost: "invalid.invalid" }).start(), { message: /^Unable to initialize UDP Listener: / });
    await assert.rejects(new Listener(70000).start(), { message: /^Unable to initialize UDP Listener: port must be/ });
    await assert.rejects(new Listener(0).gracefulStop(), { name: "UdpError", message: "Unable to initialize the udp listener." });
    await assert.rejects(new Listener(0).immediateStop(), { message: "Unable to initialize the udp listener." });
  });

  it("gracefulStop lets the handler in flight finish and send its reply", async () => {
    const started = deferred();
    const release = deferred();
    const { listener, client, send } = await serve({
      async onBytes(data) {
        started.resolve();
        await release.promise;
        return data;
      },
    });
    try {
      await send("last words");
      await started.promise;
      const stopped = listener.gracefulStop();
      release.resolve();
      await stopped;
      assert.equal(text((await client.receiveDatagram()).data), "last words");
      await assert.rejects(listener.gracefulStop(), { message: "Unable to initialize the udp listener." });
    } finally {
      await client.close();
    }
  });

  it("immediateStop closes at once; the listener can start again on the same port", async () => {
    const port = await freeUdpPort();
    const started = deferred();
    const release = deferred();
    const listener = new Listener(port, { localHost: "127.0.0.1" });
    let calls = 0;
    listener.attach({
      async onBytes(data) {
        calls++;
        if (calls === 1) {
          started.resolve();
          await release.promise;
        }
        return data;
      },
    });
    await listener.start();
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    try {
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: port, data: "stuck" });
      await started.promise;
      await listener.immediateStop(); // resolves while the handler still waits
      release.resolve();
      await listener.start();
      assert.equal(listener.localPort, port);
      await client.sendDatagram({ remoteHost: "127.0.0.1", remotePort: port, data: "again" });
      assert.equal(text((await client.receiveDatagram()).data), "again");
    } finally {
      await client.close();
      await listener.gracefulStop();
    }
  });

  it("IPv6: a listener on ::1 echoes and sees the sender as ::1", async () => {
    const { listener, senders } = await senderRecordingEcho({ localHost: "::1" });
    const client = await Client.create({ localHost: "::1", timeout: 5 });
    try {
      await client.sendDatagram({ remoteHost: "::1", remotePort: listener.localPort, data: "v6 echo" });
      assert.equal(text((await client.receiveDatagram()).data), "v6 echo");
      assert.deepEqual(senders, ["::1"]);
    } finally {
      await client.close();
      await listener.gracefulStop();
    }
  });

  it("without localHost a listener serves IPv4 and IPv6 senders", async () => {
    const { listener, senders } = await senderRecordingEcho();
    const v4 = await Client.create({ localHost: "127.0.0.1", timeout: 5 });
    const v6 = await Client.create({ localHost: "::1", timeout: 5 });
    try {
      await v4.sendDatagram({ remoteHost: "127.0.0.1", remotePort: listener.localPort, data: "four" });
      assert.equal(text((await v4.receiveDatagram()).data), "four");
      await v6.sendDatagram({ remoteHost: "::1", remotePort: listener.localPort, data: "six" });
      assert.equal(text((await v6.receiveDatagram()).data), "six");
      assert.deepEqual(senders, ["127.0.0.1", "::1"]);
    } finally {
      await v4.close();
      await v6.close();
      await listener.gracefulStop();
    }
  });

  it("a 24 KiB datagram reaches the handler whole", async () => {
    const got = deferred<number>();
    const { send, close } = await serve({ onBytes: (data) => got.resolve(data.length) });
    try {
      await send(Buffer.alloc(24 * 1024, 5));
      assert.equal(await got.promise, 24 * 1024);
    } finally {
      await close();
    }
  });
});
