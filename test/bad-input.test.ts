/**
 * Bad input of every kind gives a TcpError with code ERR_INVALID_ARGUMENT
 * naming the argument, never a raw TypeError, a crash, a hang or a leak:
 * the cases a fuzzer found, host names with control bytes, a read ended by
 * `AbortSignal.timeout()`, and a seeded fast-check property over the whole
 * config surface (TCP client and listener, UDP, the 1.2.0 API).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Client, Listener, ReadTimeoutError, TcpError, type ClientConfiguration, type ListenerConfiguration } from "../src/index.js";
import { Client as UdpClient, ConnectClient, Listener as UdpListener, UdpError, type Datagram } from "../src/udp/index.js";
import { Client as SocketClient, Listener as SocketListener, UdpClient as SocketUdpClient } from "../src/socket/index.js";
import { rejection } from "./helpers/assertions.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer } from "./helpers/peers.js";

checkLeaksAfterEachTest();

function assertInvalid(error: unknown, field: string): void {
  assert.ok(error instanceof TcpError, `a TcpError, got ${String(error)}`);
  assert.equal(error.code, "ERR_INVALID_ARGUMENT", error.message);
  assert.match(error.message, new RegExp(`\\b${field.replace(".", "\\.")} must be`), error.message);
}

const hostile = "127.0.0.1\u0000.trusted.example";

describe("what the fuzzer found", () => {
  it("readBytes({ signal: 'x' }), readBytes(null), readUntil with options null: ERR_INVALID_ARGUMENT", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    try {
      assertInvalid(await rejection(client.readBytes({ signal: "x" as unknown as AbortSignal })), "options.signal");
      assertInvalid(await rejection(client.readExactly(1, { signal: {} as AbortSignal })), "options.signal");
      assertInvalid(await rejection(client.readBytes(null as unknown as {})), "options");
      assertInvalid(await rejection(client.readUntil("\n", null as unknown as {})), "options");
      assertInvalid(await rejection(client.readExactly({ toString: 1 } as unknown as number)), "length");
      // The connection is fine afterwards.
      [...server.sockets][0]!.write("ok");
      assert.equal(Buffer.from(await client.readExactly(2)).toString(), "ok");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("Client.connect: a port object whose toString is not callable, a null config, maxPendingReads 0, noDelay 'yes'", async () => {
    assertInvalid(await rejection(Client.connect("127.0.0.1", { toString: 1 } as unknown as number)), "port");
    assertInvalid(await rejection(Client.connect("127.0.0.1", 9, null as unknown as ClientConfiguration)), "config");
    assertInvalid(await rejection(Client.connect("127.0.0.1", 9, { maxPendingReads: 0 })), "maxPendingReads");
    assertInvalid(await rejection(Client.connect("127.0.0.1", 9, { noDelay: "yes" as unknown as boolean })), "noDelay");
    assertInvalid(await rejection(Client.connect("127.0.0.1", 9, { signal: "x" as unknown as AbortSignal })), "signal");
    assertInvalid(await rejection(Client.connect("127.0.0.1", 9, { keepAlive: true as unknown as number })), "keepAlive");
  });

  it("UDP sendDatagram(null) and a datagram with a bad address or payload: UdpError ERR_INVALID_ARGUMENT", async () => {
    const client = await UdpClient.create({ localHost: "127.0.0.1" });
    try {
      for (const datagram of [null, undefined, "x", { remoteHost: "127.0.0.1", remotePort: "9", data: "x" }, { remotePort: 9, data: "x" }]) {
        const error = await rejection(client.sendDatagram(datagram as unknown as Datagram));
        assert.ok(error instanceof UdpError);
        assert.equal(error.code, "ERR_INVALID_ARGUMENT", error.message);
      }
      assertInvalid(await rejection(client.receiveDatagram({ signal: 1 as unknown as AbortSignal })), "options.signal");
    } finally {
      await client.close();
    }
  });

  it("null configs and options of the listeners and the 1.2.0 API", async () => {
    const listener = new Listener(0, null as unknown as ListenerConfiguration);
    listener.attach({ onConnect: () => undefined });
    assertInvalid(await rejection(listener.start()), "config");
    const udpListener = new UdpListener(0, null as unknown as object);
    udpListener.attach({ onBytes: () => undefined });
    assertInvalid(await rejection(udpListener.start()), "config");
    assertInvalid(await rejection(UdpClient.create(null as unknown as object)), "config");
    const socketClient = new SocketClient(null as unknown as { host: string; port: number });
    assertInvalid(await rejection(socketClient.read()), "config");
    await socketClient.close();
    assert.throws(() => new SocketListener(0, null as unknown as object), (error: unknown) => {
      assertInvalid(error, "config");
      return true;
    });
    const socketUdp = new SocketUdpClient(undefined, {});
    try {
      assertInvalid(await rejection(socketUdp.sendTo("x", null as unknown as { port: number })), "address");
    } finally {
      await socketUdp.close();
    }
  });
});

describe("host names with NUL or other control bytes are refused", () => {
  it("client host and localHost: refused before any connection is made", async () => {
    let accepted = 0;
    const server = await rawServer(() => accepted++);
    try {
      for (const host of [hostile, "localhost\n", "127.0.0.1\r", "a\u007fb", "\u0085x"]) {
        assertInvalid(await rejection(Client.connect(host, server.port)), "host");
        assertInvalid(await rejection(Client.connect("127.0.0.1", server.port, { localHost: host })), "localHost");
      }
      // A good connect after them shows the server counted only that one.
      const client = await Client.connect("127.0.0.1", server.port);
      await client.close();
      assert.equal(accepted, 1);
    } finally {
      await server.close();
    }
  });

  it("listener localHost, UDP hosts (local, connected, destination, listener remote), the 1.2.0 host", async () => {
    const listener = new Listener(0, { localHost: hostile });
    listener.attach({ onConnect: () => undefined });
    assertInvalid(await rejection(listener.start()), "localHost");

    assertInvalid(await rejection(UdpClient.create({ localHost: hostile })), "localHost");
    assertInvalid(await rejection(ConnectClient.connect(hostile, 9)), "host");
    for (const config of [{ localHost: hostile }, { remoteHost: hostile, remotePort: 9 }]) {
      const udpListener = new UdpListener(0, config);
      udpListener.attach({ onBytes: () => undefined });
      assertInvalid(await rejection(udpListener.start()), Object.keys(config)[0]!);
    }
    const udp = await UdpClient.create({ localHost: "127.0.0.1" });
    try {
      assertInvalid(await rejection(udp.sendDatagram({ remoteHost: hostile, remotePort: 9, data: "x" })), "remoteHost");
    } finally {
      await udp.close();
    }
    const socketClient = new SocketClient({ host: hostile, port: 9 });
    assertInvalid(await rejection(socketClient.read()), "host");
    await socketClient.close();
  });
});

describe("AbortSignal.timeout() during a read", () => {
  it("gives a ReadTimeoutError whose cause is the TimeoutError, and loses no byte", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 0 });
    try {
      const signal = AbortSignal.timeout(10);
      const error = await rejection(client.readBytes({ signal }));
      assert.ok(error instanceof ReadTimeoutError, `${error.name}: ${error.message}`);
      assert.equal(error.message, "Read timed out");
      assert.equal((error.cause as Error).name, "TimeoutError");
      // An already timed-out signal does the same at once.
      assert.ok((await rejection(client.readExactly(3, { signal }))) instanceof ReadTimeoutError);
      // A plain abort is still an abort.
      assert.equal((await rejection(client.readBytes({ signal: AbortSignal.abort() }))).code, "ERR_ABORTED");
      [...server.sockets][0]!.write("abc");
      assert.equal(Buffer.from(await client.readExactly(3)).toString(), "abc");
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("on a UDP receive too", async () => {
    const client = await UdpClient.create({ localHost: "127.0.0.1", timeout: 0 });
    try {
      const error = await rejection(client.receiveDatagram({ signal: AbortSignal.timeout(10) }));
      assert.equal(error.code, "ERR_READ_TIMEOUT");
      assert.equal(error.message, "Read timed out");
      assert.equal((error.cause as Error).name, "TimeoutError");
    } finally {
      await client.close();
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The property: any value in any field either works or gives a TcpError.

/** Values of every kind, weighted towards edges. */
const anything: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(
    undefined, null, Number.NaN, -1, -0, 0, 0.0001, 1, 1.5, 5, 1024, 2 ** 31, 2 ** 53, Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY, "", "5", true, false, [], {}, Symbol("s"), 10n, { toString: 1 },
    { valueOf: () => { throw new Error("valueOf called"); } }, () => 1,
  ),
  fc.double({ noNaN: false }),
  fc.integer({ min: -10, max: 100_000 }),
  fc.string({ maxLength: 4 }),
);
const maybe = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(arbitrary, { nil: undefined, freq: 2 });
/** Host values: good ones and refused ones, never a random name (that would wait on DNS). */
const host = fc.constantFrom<unknown>("127.0.0.1", "localhost", "", hostile, "a\nb", 42, null, {}, undefined);
const port = fc.constantFrom<unknown>(0, -1, 9, 70000, 1.5, "80", null, { toString: 1 }, Number.NaN);
const signal = fc.constantFrom<unknown>(undefined, "x", {}, null, 1);
const secureSocket = fc.constantFrom<unknown>(
  undefined, null, "x", 42, { enable: false }, { enable: false, cert: 42 }, { cert: "" }, { cert: 42 }, { cert: {} },
  { protocol: null }, { protocol: { name: "QUIC" } }, { ciphers: 7 }, { alpnProtocols: [""] }, { handshakeTimeout: Number.NaN },
  { key: null }, { key: 5 }, { serverName: "" }, { verifyHostName: "no" },
);

/** Removes the `undefined` fields (exactOptionalPropertyTypes) and builds the record. */
function record(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** Settles `promise` or fails the run when it hangs. */
async function settled<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<{ value?: T; error?: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value }), (error: unknown) => ({ error })), hang]);
  } finally {
    clearTimeout(timer);
  }
}

/** A failure must be a TcpError; anything else (a TypeError, a crash) fails the property. */
function assertTcpError(error: unknown, what: string): void {
  if (error === undefined) return;
  assert.ok(error instanceof TcpError, `${what} threw a non-TcpError: ${String(error)}\n${(error as Error)?.stack ?? ""}`);
}

const runs = { seed: 20_240_909, numRuns: 120, endOnFailure: true };

describe("fast-check: the whole config surface", () => {
  it("Client.connect: every field, any value", { timeout: 300_000 }, async () => {
    const server = await rawServer((socket) => socket.on("data", (chunk: Buffer) => socket.write(chunk)));
    try {
      const configArb = fc.record({
        localHost: maybe(host), timeout: maybe(anything), writeTimeout: maybe(anything), connectTimeout: maybe(anything),
        noDelay: maybe(anything), keepAlive: maybe(anything), secureSocket, signal, highWaterMark: maybe(anything),
        maxPendingReads: maybe(anything), maxQueuedWriteBytes: maybe(anything),
      });
      await fc.assert(
        fc.asyncProperty(configArb, fc.constantFrom<unknown>("good", null, 5, "x"), maybe(port), async (fields, shape, givenPort) => {
          const config = shape === "good" ? record(fields) : shape;
          const connected = await settled(Client.connect("127.0.0.1", (givenPort ?? server.port) as number, config as ClientConfiguration), "connect");
          assertTcpError(connected.error, "connect");
          const client = connected.value;
          if (client === undefined) return;
          try {
            const sent = await settled(client.writeBytes("ping"), "writeBytes");
            assertTcpError(sent.error, "writeBytes");
            const read = await settled(client.readExactly(4), "readExactly");
            assertTcpError(read.error, "readExactly");
          } finally {
            await client.close();
          }
        }),
        runs,
      );
    } finally {
      await server.close();
    }
  });

  it("Listener: every field, any value", { timeout: 300_000 }, async () => {
    const configArb = fc.record({
      localHost: maybe(host), maxConnections: maybe(anything), idleTimeout: maybe(anything), writeTimeout: maybe(anything),
      noDelay: maybe(anything), secureSocket,
    });
    await fc.assert(
      fc.asyncProperty(configArb, fc.constantFrom<unknown>("good", null, 5), port, async (fields, shape, givenPort) => {
        const listener = new Listener(givenPort as number, (shape === "good" ? record(fields) : shape) as ListenerConfiguration);
        listener.attach({ onConnect: () => ({ onBytes: (data) => data }) });
        const started = await settled(listener.start(), "start");
        assertTcpError(started.error, "start");
        if (started.error !== undefined) return;
        try {
          const client = await settled(Client.connect("127.0.0.1", listener.localPort, { timeout: 2, connectTimeout: 2 }), "connect");
          assertTcpError(client.error, "connect");
          await client.value?.close();
        } finally {
          await listener.immediateStop();
        }
      }),
      { ...runs, numRuns: 80 },
    );
  });

  it("UDP Client, ConnectClient and Listener: every field, any value", { timeout: 300_000 }, async () => {
    const configArb = fc.record({
      localHost: maybe(host), localPort: maybe(port), timeout: maybe(anything), maxQueuedDatagrams: maybe(anything),
      maxPendingReceives: maybe(anything),
    });
    const datagramArb = fc.oneof(
      fc.record({ remoteHost: host, remotePort: port, data: fc.constantFrom<unknown>("x", new Uint8Array(3), 42, null) }),
      fc.constantFrom<unknown>(null, undefined, "x"),
    );
    await fc.assert(
      fc.asyncProperty(configArb, datagramArb, host, port, signal, async (fields, datagram, remoteHost, remotePort, readSignal) => {
        const created = await settled(UdpClient.create(record(fields)), "create");
        assertTcpError(created.error, "create");
        const client = created.value;
        if (client !== undefined) {
          try {
            const sent = await settled(client.sendDatagram(datagram as Datagram), "sendDatagram");
            assertTcpError(sent.error, "sendDatagram");
            // A bad signal is refused; else the receive is bounded by a signal of ours (the configured
            // time-out may be "no limit").
            const bound = readSignal === undefined ? AbortSignal.timeout(20) : (readSignal as AbortSignal);
            const received = await settled(client.receiveDatagram({ signal: bound }), "receiveDatagram");
            assertTcpError(received.error, "receiveDatagram");
          } finally {
            await client.close();
          }
        }
        const connected = await settled(ConnectClient.connect(remoteHost as string, remotePort as number, record(fields)), "connect");
        assertTcpError(connected.error, "ConnectClient.connect");
        await connected.value?.close();
        const listener = new UdpListener(remotePort as number, record({ ...fields, remoteHost, remotePort }));
        listener.attach({ onBytes: (data) => data });
        const started = await settled(listener.start(), "start");
        assertTcpError(started.error, "UdpListener.start");
        if (started.error === undefined) await listener.immediateStop();
      }),
      { ...runs, numRuns: 80 },
    );
  });

  it("the 1.2.0 API: Client, Listener, UdpClient configs", { timeout: 300_000 }, async () => {
    const server = await rawServer((socket) => socket.on("data", (chunk: Buffer) => socket.write(chunk)));
    try {
      await fc.assert(
        fc.asyncProperty(host, maybe(port), maybe(anything), maybe(anything), async (givenHost, givenPort, millis, callbackService) => {
          const config = record({ host: givenHost, port: givenPort ?? server.port, readTimeoutInMillis: millis, callbackService });
          const client = new SocketClient(config as unknown as { host: string; port: number });
          const wrote = await settled(client.write("ping"), "write");
          assertTcpError(wrote.error, "write");
          await client.close();

          let listener: SocketListener | undefined;
          try {
            listener = new SocketListener(0, record({ interface: givenHost, readTimeoutInMillis: millis }));
            listener.attach({ onConnect: () => undefined });
          } catch (error) {
            assertTcpError(error, "Listener");
            listener = undefined;
          }
          if (listener !== undefined) {
            const started = await settled(listener.start(), "start");
            assertTcpError(started.error, "Listener.start");
            if (started.error === undefined) await listener.immediateStop();
          }

          const udp = new SocketUdpClient(record({ host: givenHost, port: givenPort }) as { port: number }, record({ readTimeoutInMillis: millis }));
          const sent = await settled(udp.sendTo("x", { host: "127.0.0.1", port: 9 }), "sendTo");
          assertTcpError(sent.error, "sendTo");
          await udp.close();
        }),
        { ...runs, numRuns: 80 },
      );
    } finally {
      await server.close();
    }
  });
});
