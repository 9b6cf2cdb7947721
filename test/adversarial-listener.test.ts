/**
 * Adversarial tests of the TCP listener and its connections: closes from
 * inside handlers, onConnect failing after the socket is gone, idle time-outs
 * during a slow handler, write-backs to a peer that never reads, peers that
 * reset at random points, and stops racing connects. Each test checks that
 * nothing hangs, onClose runs exactly once, and no socket or timer is left.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { describe, it } from "node:test";
import { Client, Listener, TcpError, type Caller, type ConnectionService, type Service } from "../src/index.js";
import { Listener as SocketListener } from "../src/socket/index.js";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { startListener } from "./helpers/listeners.js";
import { destroyed, rawClient, readToEnd } from "./helpers/peers.js";

checkLeaksAfterEachTest();

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fails with "hung" when `body` has not settled within `ms`. The timer keeps
 * the event loop alive, so a deadlock fails this test instead of ending the
 * run with every test cancelled.
 */
function hangGuard(ms: number, body: () => Promise<void>): () => Promise<void> {
  return async () => {
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`hung: not settled within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([body(), hung]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** A small deterministic pseudo-random generator (xorshift32), so runs repeat. */
function random(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

describe("Listener under adversarial use", () => {
  it("`await caller.close()` inside an async onBytes resolves (no deadlock with onClose)", hangGuard(5_000, async () => {
    const events: string[] = [];
    const listener = await startListener({
      onConnect: () => ({
        async onBytes(data, caller) {
          await caller.writeBytes(data);
          await caller.close();
          events.push("handler done");
        },
        onClose: () => void events.push("close"),
      }),
    });
    const socket = await rawClient(listener.localPort);
    socket.end("bye");
    assert.equal((await readToEnd(socket)).toString(), "bye");
    await destroyed(socket);
    await listener.gracefulStop();
    assert.deepEqual(events, ["handler done", "close"]);
  }));

  it("`await caller.close()` inside an async onConnect resolves", hangGuard(5_000, async () => {
    const events: string[] = [];
    const listener = await startListener({
      async onConnect(caller) {
        await caller.writeBytes("hello and goodbye");
        await caller.close();
        events.push("onConnect done");
        return { onClose: () => void events.push("close") };
      },
    });
    const socket = await rawClient(listener.localPort);
    assert.equal((await readToEnd(socket)).toString(), "hello and goodbye");
    await destroyed(socket);
    await listener.gracefulStop();
    assert.deepEqual(events.slice(0, 1), ["onConnect done"]);
    assert.equal(listener.connectionCount, 0);
  }));

  it("`await caller.close()` in a 1.2.0 onReadReady after the peer's FIN resolves", hangGuard(5_000, async () => {
    const done = deferred<string>();
    const listener = new SocketListener(0, { interface: "127.0.0.1", readTimeoutInMillis: 5000 });
    listener.attach({
      async onReadReady(caller) {
        const [content, length] = await caller.read();
        if (length <= 0) return;
        await caller.write(content);
        await caller.close();
        done.resolve(Buffer.from(content).toString());
      },
    });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    socket.end("hi");
    assert.equal((await readToEnd(socket)).toString(), "hi");
    assert.equal(await done.promise, "hi");
    await destroyed(socket);
    await listener.gracefulStop();
  }));

  it("onConnect that fails after the socket closed still finishes the connection", hangGuard(5_000, async () => {
    const reported = deferred<TcpError>();
    const peerClosed = deferred();
    const listener = await startListener(
      {
        async onConnect() {
          // The idle time-out destroys the socket while this runs.
          await peerClosed.promise;
          await new Promise((resolve) => setImmediate(resolve));
          throw new Error("too late");
        },
        onError: (error) => reported.resolve(error),
      },
      { idleTimeout: 0.05 },
    );
    const socket = await rawClient(listener.localPort);
    socket.resume();
    socket.once("close", () => peerClosed.resolve());
    assert.equal((await reported.promise).message, "too late");
    await listener.gracefulStop();
    assert.equal(listener.connectionCount, 0);
    await destroyed(socket);
  }));

  it("bytes and the FIN that arrive after caller.close() in onConnect never reach onBytes or onEnd", hangGuard(5_000, async () => {
    const seen: string[] = [];
    const closed = deferred();
    const listener = await startListener({
      onConnect(caller) {
        void caller.close();
        return {
          onBytes: (data) => void seen.push(Buffer.from(data).toString()),
          onEnd: () => void seen.push("end"),
          onClose: () => closed.resolve(),
        };
      },
    });
    const socket = await rawClient(listener.localPort);
    socket.write("after close");
    await readToEnd(socket);
    await closed.promise;
    await destroyed(socket);
    await listener.gracefulStop();
    assert.deepEqual(seen, []);
  }));

  it("idleTimeout still closes a connection whose slow handler was in flight when it first fired", hangGuard(5_000, async () => {
    const closed = deferred();
    let handled = 0;
    const listener = await startListener(
      {
        onConnect: () => ({
          async onBytes() {
            await sleep(200); // slower than the idle time-out
            handled++;
          },
          onClose: () => closed.resolve(),
        }),
      },
      { idleTimeout: 0.05 },
    );
    const socket = await rawClient(listener.localPort);
    const ended = readToEnd(socket).catch(() => Buffer.alloc(0));
    socket.write("slow");
    await closed.promise;
    await ended;
    assert.equal(handled, 1);
    await destroyed(socket);
    await listener.gracefulStop();
  }));

  it("a write-back to a peer that never reads fails with 'Write timed out' and the connection closes", hangGuard(8_000, async () => {
    const errors: TcpError[] = [];
    const closed = deferred();
    const listener = await startListener(
      {
        onConnect: () => ({
          onBytes: () => Buffer.alloc(32 * 1024 * 1024),
          onError: (error) => void errors.push(error),
          onClose: () => closed.resolve(),
        }),
      },
      { writeTimeout: 0.2 },
    );
    const socket = await rawClient(listener.localPort);
    socket.pause(); // never reads
    socket.write("x");
    await closed.promise;
    assert.ok(errors.some((e) => e.code === "ERR_WRITE_TIMEOUT" && e.message === "Write timed out"), `errors: ${errors.map((e) => e.message).join(", ")}`);
    await listener.gracefulStop();
    await destroyed(socket);
  }));

  it("gracefulStop is not held up for ever by a write-back to a peer that never reads", hangGuard(8_000, async () => {
    const handled = deferred();
    const listener = await startListener(
      { onConnect: () => ({ onBytes: () => (handled.resolve(), Buffer.alloc(32 * 1024 * 1024)), onError: () => {} }) },
      { writeTimeout: 0.2 },
    );
    const socket = await rawClient(listener.localPort);
    socket.pause();
    socket.write("x");
    await handled.promise;
    await listener.gracefulStop();
    assert.equal(listener.connectionCount, 0);
    await destroyed(socket);
  }));

  it("peers resetting at random points (during onConnect, onBytes, write-back) never break onClose-once", hangGuard(20_000, async () => {
    const rand = random(0x5eed);
    const opened = new Map<string, number>();
    let closeCount = 0;
    let concurrentViolations = 0;
    const listener = await startListener({
      async onConnect(caller) {
        opened.set(caller.id, 0);
        if (rand(2) === 0) await sleep(rand(3));
        let running = false;
        return {
          async onBytes(data) {
            if (running) concurrentViolations++;
            running = true;
            if (rand(3) === 0) await sleep(rand(3));
            running = false;
            // Sometimes a large reply (never to the short probe at the end), so a reset can land during the write-back.
            return data.length >= 1000 && rand(4) === 0 ? Buffer.alloc(256 * 1024, data[0] ?? 0) : data;
          },
          onError: () => {},
          onClose(c: Caller) {
            opened.set(c.id, (opened.get(c.id) ?? 0) + 1);
            closeCount++;
          },
        } satisfies ConnectionService;
      },
      onError: () => {},
    });
    const rounds = 120;
    await Promise.all(
      Array.from({ length: rounds }, async (_, i) => {
        const socket = await rawClient(listener.localPort);
        const when = rand(4);
        if (when > 0) socket.write(Buffer.alloc(1 + rand(64 * 1024), i & 0xff));
        if (when > 1) await new Promise((r) => setImmediate(r));
        if (when > 2) await sleep(rand(4));
        socket.resetAndDestroy();
        await once(socket, "close");
      }),
    );
    // Every connection that reached onConnect gets exactly one onClose.
    while (listener.connectionCount > 0) await new Promise((r) => setTimeout(r, 5));
    const client = await Client.connect("127.0.0.1", listener.localPort, { timeout: 5 });
    await client.writeBytes("still serving");
    assert.equal(Buffer.from(await client.readExactly(13)).toString(), "still serving");
    await client.close();
    await listener.gracefulStop();
    assert.equal(concurrentViolations, 0);
    assert.equal(closeCount, opened.size);
    for (const [id, count] of opened) assert.equal(count, 1, `connection ${id} saw onClose ${count} times`);
  }));

  for (const stop of ["gracefulStop", "immediateStop"] as const) {
    it(`${stop} racing connects and in-flight async onConnect resolves, and every served connection closes once`, hangGuard(10_000, async () => {
      const rand = random(stop === "gracefulStop" ? 7 : 11);
      const services: { closes: number }[] = [];
      let connectsStarted = 0;
      const listener = await startListener({
        async onConnect() {
          connectsStarted++;
          await sleep(rand(5));
          const state = { closes: 0 };
          services.push(state);
          return { onBytes: (data) => data, onError: () => {}, onClose: () => void state.closes++ };
        },
        onError: () => {},
      });
      const port = listener.localPort;
      const sockets: net.Socket[] = [];
      const connects = Array.from({ length: 40 }, async (_, i) => {
        if (i % 4 === 0) await sleep(rand(4));
        const socket = net.connect({ port, host: "127.0.0.1" });
        sockets.push(socket);
        socket.on("error", () => {});
        socket.resume();
        socket.write(`hello ${i}`);
        await new Promise((resolve) => socket.once("close", resolve));
      });
      while (connectsStarted < 10) await new Promise((r) => setImmediate(r));
      await listener[stop]();
      assert.equal(listener.connectionCount, 0);
      // Peers the listener never served are closed by the test.
      for (const socket of sockets) socket.destroy();
      await Promise.all(connects);
      if (stop === "gracefulStop") {
        // Every onConnect was waited for, so every service got its onClose.
        assert.equal(services.length, connectsStarted);
        for (const state of services) assert.equal(state.closes, 1);
      } else {
        for (const state of services) assert.ok(state.closes <= 1);
      }
    }));
  }

  it("many short-lived connections: every one is served and closed", hangGuard(10_000, async () => {
    let closes = 0;
    const listener = await startListener({ onConnect: () => ({ onBytes: (data) => data, onClose: () => void closes++ }) });
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const client = await Client.connect("127.0.0.1", listener.localPort, { timeout: 5 });
          const text = `message ${batch}/${i}`;
          await client.writeBytes(text);
          assert.equal(Buffer.from(await client.readExactly(text.length)).toString(), text);
          await client.close();
        }),
      );
    }
    while (listener.connectionCount > 0) await new Promise((r) => setTimeout(r, 5));
    await listener.gracefulStop();
    assert.equal(closes, 200);
  }));
});
