/**
 * SPEC §13, numbers a user may give: every time value is seconds (>= 0; 0 and
 * Infinity = no limit; past a Node timer's range it neither fires early nor
 * warns), every size or count limit a positive integer; anything else is a
 * TcpError with code ERR_INVALID_ARGUMENT naming the field, at connect /
 * start() / the call.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { afterEach, describe, it, mock } from "node:test";
import { Client, Listener, ReadTimeoutError, TcpError, type ClientConfiguration, type ListenerConfiguration } from "../src/index.js";
import { Client as UdpClient, ConnectClient, Listener as UdpListener } from "../src/udp/index.js";
import { Client as SocketClient, Listener as SocketListener, UdpClient as SocketUdpClient } from "../src/socket/index.js";
import { rejection } from "./helpers/assertions.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient, rawServer } from "./helpers/peers.js";
import { pkiForThisFile } from "./helpers/pki.js";

checkLeaksAfterEachTest();

const pki = pkiForThisFile();

const DAYS_35_S = 35 * 24 * 3600;
const DAY_MS = 24 * 3600 * 1000;

/** Collects process warnings until `stop()`. */
function watchWarnings(): { overflows: () => number; stop: () => void } {
  let overflows = 0;
  const onWarning = (warning: Error): void => {
    if (warning.name === "TimeoutOverflowWarning") overflows++;
  };
  process.on("warning", onWarning);
  return { overflows: () => overflows, stop: () => void process.off("warning", onWarning) };
}

/** Lets a timer that overflowed to 1 ms fire: Node runs timers in due order, this one is due later. */
async function pastAnOverflowedTimer(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 5));
  await new Promise((resolve) => setImmediate(resolve));
}

async function state(promise: Promise<unknown>): Promise<"resolved" | "rejected" | "pending"> {
  const marker = new Promise<"pending">((resolve) => setImmediate(() => resolve("pending")));
  return Promise.race([promise.then(() => "resolved" as const, () => "rejected" as const), marker]);
}

describe("time values past a Node timer's range", () => {
  afterEach(() => mock.timers.reset());

  it("a 35-day read time-out does not fire early and prints no TimeoutOverflowWarning", async () => {
    const warnings = watchWarnings();
    const server = await rawServer(() => {});
    const config = { timeout: DAYS_35_S, writeTimeout: DAYS_35_S, connectTimeout: DAYS_35_S };
    const client = await Client.connect("127.0.0.1", server.port, config);
    try {
      const read = client.readBytes();
      await pastAnOverflowedTimer();
      assert.equal(await state(read), "pending", "the read is still waiting");
      [...server.sockets][0]!.write("late but fine");
      assert.equal(Buffer.from(await read).toString(), "late but fine");
      await client.writeBytes("x");
      assert.equal(warnings.overflows(), 0);
    } finally {
      warnings.stop();
      await client.close();
      await server.close();
    }
  });

  it("a 35-day read time-out: pending after 24.9 days, ReadTimeoutError by 35 days (mock.timers)", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port, { timeout: DAYS_35_S });
    try {
      mock.timers.enable({ apis: ["setTimeout"] });
      const read = client.readBytes();
      read.catch(() => {});
      mock.timers.tick(24.9 * DAY_MS);
      assert.equal(await state(read), "pending");
      // Hour by hour: mock.timers starts a re-armed part at the end of the tick that armed it.
      for (let hour = 0; hour < 11 * 24 && (await state(read)) === "pending"; hour++) mock.timers.tick(3600 * 1000);
      await assert.rejects(read, (error: unknown) => error instanceof ReadTimeoutError);
      mock.timers.reset();
      assert.equal(client.remotePort, server.port, "the connection stays open after a read time-out");
    } finally {
      mock.timers.reset();
      await client.close();
      await server.close();
    }
  });

  it("listener: a 35-day idleTimeout and TLS handshakeTimeout close nothing early, with no warning", async () => {
    const warnings = watchWarnings();
    const plain = new Listener(0, { localHost: "127.0.0.1", idleTimeout: DAYS_35_S, writeTimeout: DAYS_35_S });
    const secure = new Listener(0, {
      localHost: "127.0.0.1",
      secureSocket: { key: { certFile: pki.serverCert, keyFile: pki.serverKey }, handshakeTimeout: DAYS_35_S },
    });
    const errors: TcpError[] = [];
    const service = { onConnect: () => ({ onBytes: (data: Uint8Array) => data }), onError: (e: TcpError) => void errors.push(e) };
    plain.attach(service);
    secure.attach(service);
    await plain.start();
    await secure.start();
    const idle = await rawClient(plain.localPort);
    const silent = await rawClient(secure.localPort); // never says hello
    try {
      await pastAnOverflowedTimer();
      idle.write("still there?");
      const [echoed] = (await once(idle, "data")) as [Buffer];
      assert.equal(echoed.toString(), "still there?");
      assert.equal(silent.destroyed || silent.readableEnded, false, "the silent TLS peer is not dropped early");
      assert.deepEqual(errors, []);
      assert.equal(warnings.overflows(), 0);
    } finally {
      warnings.stop();
      idle.destroy();
      silent.destroy();
      await plain.immediateStop();
      await secure.immediateStop();
    }
  });

  it("UDP and the 1.2.0 API take long time-outs and Infinity too, without a warning", async () => {
    const warnings = watchWarnings();
    const udp = await UdpClient.create({ localHost: "127.0.0.1", timeout: DAYS_35_S });
    const connected = await ConnectClient.connect("127.0.0.1", udp.localPort, { timeout: Number.POSITIVE_INFINITY });
    const socketUdp = new SocketUdpClient({ host: "127.0.0.1", port: 0 }, { readTimeoutInMillis: 35 * DAY_MS });
    try {
      const receive = udp.receiveDatagram();
      const read = connected.readBytes();
      const receiveFrom = socketUdp.receiveFrom();
      await pastAnOverflowedTimer();
      assert.equal(await state(receive), "pending");
      assert.equal(await state(read), "pending");
      assert.equal(await state(receiveFrom), "pending");
      await connected.writeBytes("ping");
      assert.equal(Buffer.from((await receive).data).toString(), "ping");
      assert.equal(warnings.overflows(), 0);
      void read.catch(() => {});
      void receiveFrom.catch(() => {});
    } finally {
      warnings.stop();
      await connected.close();
      await udp.close();
      await socketUdp.close();
    }
  });
});

const badTimes: unknown[] = [Number.NaN, -1, -0.001, "5", null, true, {}, 10n];
const badSizes: unknown[] = [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, "10", null, 2 ** 53];

function assertInvalid(error: TcpError, field: string): void {
  assert.ok(error instanceof TcpError, `a TcpError, got ${String(error)}`);
  assert.equal(error.code, "ERR_INVALID_ARGUMENT", error.message);
  assert.match(error.message, new RegExp(`\\b${field.replace(".", "\\.")} must be`), error.message);
}

describe("bad numbers are refused, naming the field", () => {
  it("Client.connect: every time value and every limit", async () => {
    for (const field of ["timeout", "writeTimeout", "connectTimeout", "keepAlive"] as const) {
      for (const value of badTimes) {
        if (field === "keepAlive" && value === true) continue; // checked as a boolean flag elsewhere
        const config = { [field]: value } as unknown as ClientConfiguration;
        assertInvalid(await rejection(Client.connect("127.0.0.1", 9, config)), field);
      }
    }
    for (const field of ["highWaterMark", "maxPendingReads", "maxQueuedWriteBytes"] as const) {
      for (const value of badSizes) {
        const config = { [field]: value } as unknown as ClientConfiguration;
        assertInvalid(await rejection(Client.connect("127.0.0.1", 9, config)), field);
      }
    }
    for (const value of badTimes) {
      const secureSocket = { handshakeTimeout: value } as unknown as ClientConfiguration["secureSocket"];
      assertInvalid(await rejection(Client.connect("127.0.0.1", 9, { secureSocket: secureSocket! })), "secureSocket.handshakeTimeout");
    }
  });

  it("Client: 0 and Infinity are no limit; a tiny positive time-out is not rounded to 'no limit'", async () => {
    const server = await rawServer(() => {});
    const noLimit = await Client.connect("127.0.0.1", server.port, { timeout: Number.POSITIVE_INFINITY, writeTimeout: 0 });
    const tiny = await Client.connect("127.0.0.1", server.port, { timeout: 0.0001 });
    try {
      const waiting = noLimit.readBytes();
      assert.ok((await rejection(tiny.readBytes())) instanceof ReadTimeoutError);
      assert.equal(await state(waiting), "pending");
      await noLimit.close();
      await assert.rejects(waiting, { code: "ERR_SOCKET_CLOSED" });
    } finally {
      await noLimit.close();
      await tiny.close();
      await server.close();
    }
  });

  it("readUntil's maxLength", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port);
    try {
      for (const value of badSizes) {
        assertInvalid(await rejection(client.readUntil("\n", { maxLength: value as number })), "maxLength");
      }
    } finally {
      await client.close();
      await server.close();
    }
  });

  it("Listener.start: time values, maxConnections, TLS time-outs", async () => {
    const service = { onConnect: () => undefined };
    const cases: Array<[ListenerConfiguration, string]> = [];
    for (const value of badTimes) {
      cases.push([{ idleTimeout: value } as unknown as ListenerConfiguration, "idleTimeout"]);
      cases.push([{ writeTimeout: value } as unknown as ListenerConfiguration, "writeTimeout"]);
      const key = { certFile: pki.serverCert, keyFile: pki.serverKey };
      cases.push([{ secureSocket: { key, sessionTimeout: value } } as unknown as ListenerConfiguration, "secureSocket.sessionTimeout"]);
    }
    for (const value of badSizes) cases.push([{ maxConnections: value } as unknown as ListenerConfiguration, "maxConnections"]);
    for (const [config, field] of cases) {
      const listener = new Listener(0, { localHost: "127.0.0.1", ...config });
      listener.attach(service);
      assertInvalid(await rejection(listener.start()), field);
    }
  });

  it("UDP: timeout, maxQueuedDatagrams, maxPendingReceives", async () => {
    for (const value of badTimes) {
      assertInvalid(await rejection(UdpClient.create({ timeout: value as number })), "timeout");
      assertInvalid(await rejection(ConnectClient.connect("127.0.0.1", 9, { timeout: value as number })), "timeout");
    }
    for (const value of badSizes) {
      assertInvalid(await rejection(UdpClient.create({ maxQueuedDatagrams: value as number })), "maxQueuedDatagrams");
      assertInvalid(await rejection(UdpClient.create({ maxPendingReceives: value as number })), "maxPendingReceives");
      assertInvalid(await rejection(ConnectClient.connect("127.0.0.1", 9, { maxQueuedDatagrams: value as number })), "maxQueuedDatagrams");
      const listener = new UdpListener(0, { localHost: "127.0.0.1", maxQueuedDatagrams: value as number });
      listener.attach({ onBytes: () => undefined });
      assertInvalid(await rejection(listener.start()), "maxQueuedDatagrams");
    }
  });

  it("the 1.2.0 API: readTimeoutInMillis", async () => {
    for (const value of badTimes) {
      const client = new SocketClient({ host: "127.0.0.1", port: 9, readTimeoutInMillis: value as number });
      assertInvalid(await rejection(client.read()), "readTimeoutInMillis");
      await client.close();
      const listener = new SocketListener(0, { readTimeoutInMillis: value as number });
      assert.throws(() => listener.attach({ onConnect: () => undefined }), (error: TcpError) => {
        assertInvalid(error, "readTimeoutInMillis");
        return true;
      });
      const udp = new SocketUdpClient(undefined, { readTimeoutInMillis: value as number });
      assertInvalid(await rejection(udp.receiveFrom()), "readTimeoutInMillis");
      await udp.close();
    }
  });
});
