/**
 * tcpkit/socket Listener (the 1.2.0 API): the Ballerina 1.2.0 listener
 * services (echo through onReadReady, read(5)+read(4)+read(6), blocking
 * read(18), read time-out), onReadReady at most once at a time, the peer's
 * half-close, onError, stops; with raw node:net clients and with the 1.2.0
 * Client.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { Client, GenericError, Listener, ReadTimedOutError, type Caller, type SocketService } from "../src/socket/index.js";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient, readFully, readToEnd } from "./helpers/peers.js";

checkLeaksAfterEachTest();

const text = (data: Uint8Array): string => Buffer.from(data).toString("utf8");

async function started(service: SocketService, readTimeoutInMillis = 5000): Promise<Listener> {
  const listener = new Listener(0, { interface: "127.0.0.1", readTimeoutInMillis });
  listener.attach(service);
  await listener.start();
  return listener;
}

describe("socket Listener (1.2.0)", () => {
  it("echo through onReadReady; onConnect first; a closing client shows as length <= 0 (Ballerina echoServer)", async () => {
    const events: string[] = [];
    const closed = deferred();
    const listener = await started({
      onConnect(caller) {
        events.push(`join ${caller.remotePort > 0}`);
      },
      async onReadReady(caller) {
        const [content, length] = await caller.read();
        if (length > 0) {
          assert.equal(await caller.write(content), length);
          events.push("echo");
        } else {
          events.push("client close");
          closed.resolve();
        }
      },
    });
    const socket = await rawClient(listener.localPort);
    try {
      socket.write("Hello Ballerina Echo");
      assert.equal((await readFully(socket, 20)).toString(), "Hello Ballerina Echo");
      socket.end();
      await closed.promise;
      assert.equal(events[0], "join true");
      assert.equal(events.at(-1), "client close");
      assert.ok(events.includes("echo"));
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("exact partial reads add up: read(5) + read(4) + read(6) = 15 (Ballerina helloServer)", async () => {
    let total = 0;
    const listener = await started({
      async onReadReady(caller) {
        for (const n of [5, 4, 6]) {
          const [, length] = await caller.read(n);
          if (length > 0) total += length;
        }
        await caller.write("Hello Client");
      },
    });
    const client = new Client({ host: "127.0.0.1", port: listener.localPort, readTimeoutInMillis: 5000 });
    try {
      await client.write("Hello ");
      await client.write("Ballerina");
      const [reply, length] = await client.read(12);
      assert.equal(text(reply), "Hello Client");
      assert.equal(length, 12);
      assert.equal(total, 15);
    } finally {
      await client.close();
      await listener.gracefulStop();
    }
  });

  it("read(18) waits for all 18 bytes across writes (Ballerina BlockingReadServer)", async () => {
    const listener = await started({
      async onReadReady(caller) {
        const [content, length] = await caller.read(18);
        if (length > 0) await caller.write(content);
      },
    });
    const socket = await rawClient(listener.localPort);
    try {
      socket.write("Hello Ball");
      await new Promise((resolve) => setImmediate(resolve));
      socket.write("erina!!!");
      assert.equal((await readFully(socket, 18)).toString(), "Hello Ballerina!!!");
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("a read that does not get its bytes in time fails with ReadTimedOutError (Ballerina timeoutServer)", async () => {
    const failure = deferred<unknown>();
    const listener = await started(
      {
        async onReadReady(caller) {
          try {
            await caller.read(18);
          } catch (error) {
            failure.resolve(error);
          }
        },
      },
      50,
    );
    const socket = await rawClient(listener.localPort);
    try {
      socket.write("only five");
      const error = await failure.promise;
      assert.ok(error instanceof ReadTimedOutError);
      assert.equal(error.message, "read timed out");
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("onReadReady runs at most once at a time per connection, and sees every byte in order", async () => {
    let active = 0;
    let maxActive = 0;
    const received: Buffer[] = [];
    const all = deferred();
    const listener = await started({
      async onReadReady(caller) {
        active++;
        maxActive = Math.max(maxActive, active);
        const [content, length] = await caller.read();
        await new Promise((resolve) => setImmediate(resolve));
        if (length > 0) received.push(Buffer.from(content));
        if (Buffer.concat(received).length === 3000) all.resolve();
        active--;
      },
    });
    const socket = await rawClient(listener.localPort);
    try {
      const payload = Buffer.alloc(3000);
      for (let i = 0; i < payload.length; i++) payload[i] = i % 251;
      for (let i = 0; i < 30; i++) {
        socket.write(payload.subarray(i * 100, (i + 1) * 100));
        await new Promise((resolve) => setImmediate(resolve));
      }
      await all.promise;
      assert.equal(maxActive, 1);
      assert.deepEqual(Buffer.concat(received), payload);
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("a peer's half-close: the reply still goes out, then the end shows as -1 and the connection closes", async () => {
    const lengths: number[] = [];
    const listener = await started({
      async onReadReady(caller) {
        const [content, length] = await caller.read();
        lengths.push(length);
        if (length > 0) await caller.write(`pong: ${text(content)}`);
      },
    });
    const socket = await rawClient(listener.localPort);
    try {
      socket.end("ping"); // write, then FIN at once
      assert.equal((await readToEnd(socket)).toString(), "pong: ping");
      assert.deepEqual(lengths, [4, -1]);
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("errors thrown by onConnect / onReadReady go to onError(caller, error); the connection keeps working", async () => {
    const errors: string[] = [];
    const listener = await started({
      onConnect() {
        throw new Error("connect handler broke");
      },
      async onReadReady(caller) {
        const [content] = await caller.read(4);
        if (text(content) === "boom") throw new TypeError("read handler broke");
        await caller.write(content);
      },
      onError(caller, error) {
        assert.ok(error instanceof GenericError);
        errors.push(`${caller.remotePort > 0}: ${error.message}`);
      },
    });
    const client = new Client({ host: "127.0.0.1", port: listener.localPort, readTimeoutInMillis: 5000 });
    try {
      await client.write("boom");
      await client.write("fine");
      const [reply] = await client.read(4);
      assert.equal(text(reply), "fine");
      assert.deepEqual(errors, ["true: connect handler broke", "true: read handler broke"]);
    } finally {
      await client.close();
      await listener.gracefulStop();
    }
  });

  it("a 1 MiB upload is read exactly, with the socket paused while the handler lags", async () => {
    const payload = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) % 256;
    const done = deferred<Uint8Array>();
    const listener = await started({
      async onReadReady(caller) {
        await new Promise((resolve) => setTimeout(resolve, 20)); // let bytes pile up
        const [content, length] = await caller.read(payload.length);
        if (length > 0) done.resolve(content);
      },
    });
    const client = new Client({ host: "127.0.0.1", port: listener.localPort, readTimeoutInMillis: 5000 });
    try {
      assert.equal(await client.write(payload), payload.length);
      assert.deepEqual(Buffer.from(await done.promise), payload);
    } finally {
      await client.close();
      await listener.gracefulStop();
    }
  });

  it("a 1.2.0 Client and Listener talk to each other; callers have addresses", async () => {
    let seen: Caller | undefined;
    const listener = await started({
      async onReadReady(caller) {
        seen = caller;
        const [content, length] = await caller.read();
        if (length > 0) await caller.write(content);
      },
    });
    const client = new Client({ host: "localhost", port: listener.localPort, readTimeoutInMillis: 5000 });
    try {
      await client.write("round trip");
      assert.equal(text((await client.read(10))[0]), "round trip");
      assert.equal(seen?.localPort, listener.localPort);
      assert.equal(seen?.remotePort, client.localPort);
      assert.equal(seen?.remoteAddress, "127.0.0.1");
      await assert.rejects(seen!.shutdownWrite(), { name: "GenericError" });
    } finally {
      await client.close();
      await listener.gracefulStop();
    }
  });

  it("caller.close() from onReadReady closes the connection after the reply", async () => {
    const listener = await started({
      async onReadReady(caller) {
        const [content, length] = await caller.read();
        if (length <= 0) return;
        await caller.write(`bye ${text(content)}`);
        await caller.close();
      },
    });
    const socket = await rawClient(listener.localPort);
    try {
      socket.write("you");
      assert.equal((await readToEnd(socket)).toString(), "bye you");
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("start, stop and attach errors are GenericErrors with the core's messages", async () => {
    const first = await started({});
    try {
      const busy = new Listener(first.localPort, { interface: "127.0.0.1" });
      busy.attach({});
      await assert.rejects(busy.start(), { name: "GenericError", message: /^Error initializing the server: .*EADDRINUSE/ });
    } finally {
      await first.gracefulStop();
    }
    await assert.rejects(new Listener(0).gracefulStop(), { name: "GenericError", message: "Unable to initialize the tcp listener." });
    const listener = new Listener(0);
    const service: SocketService = {};
    assert.throws(() => listener.detach(service), { name: "GenericError", message: "service is not attached to the listener" });
    listener.attach(service);
    assert.throws(() => listener.attach({}), { name: "GenericError" });
    listener.detach(service);
    assert.throws(() => new Listener(0, { readTimeoutInMillis: -1 }).attach({}), { name: "GenericError" });
  });

  it("immediateStop closes open connections now", async () => {
    const connected = deferred();
    const listener = await started({
      onConnect() {
        connected.resolve();
      },
    });
    const socket = await rawClient(listener.localPort);
    try {
      await connected.promise;
      const closed = once(socket, "close");
      await listener.immediateStop();
      await closed;
    } finally {
      socket.destroy();
    }
  });
});
