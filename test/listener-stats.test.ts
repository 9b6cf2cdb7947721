/**
 * `listener.stats()` (SPEC §12): each counter's exact meaning, payload bytes
 * after TLS, and the same figures on the `tcpkit:listener:stats` channel.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { describe, it } from "node:test";
import { Client, type ListenerStats, type TcpError } from "../src/index.js";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { startListener } from "./helpers/listeners.js";
import { destroyed, rawClient, readFully } from "./helpers/peers.js";
import { pkiForThisFile } from "./helpers/pki.js";
import { skipOn } from "./helpers/runtime.js";

checkLeaksAfterEachTest();
const pki = pkiForThisFile();

const ZERO: ListenerStats = {
  connections: 0,
  accepted: 0,
  refused: 0,
  closed: 0,
  bytesReceived: 0,
  bytesSent: 0,
  tlsHandshakeFailures: 0,
  proxyHeaderFailures: 0,
};

/** An echo service that reports each `onClose` and listener error. */
function echoWithEvents(): { service: Parameters<typeof startListener>[0]; closes: () => Promise<void>; errors: () => Promise<TcpError> } {
  let closed = deferred();
  let error = deferred<TcpError>();
  return {
    service: {
      onConnect: () => ({
        onBytes: (data) => (Buffer.from(data).toString() === "double" ? Buffer.concat([data, data]) : data),
        onClose: () => {
          const done = closed;
          closed = deferred();
          done.resolve();
        },
      }),
      onError: (e) => {
        const done = error;
        error = deferred<TcpError>();
        done.resolve(e);
      },
    },
    closes: () => closed.promise,
    errors: () => error.promise,
  };
}

describe("Listener stats", () => {
  it("counts accepted, closed, refused and payload bytes each way on plain TCP", {
    skip: skipOn("deno", "it counts a refusal over maxConnections, which Deno's node:net Server does not enforce (see docs/runtimes.md)"),
  }, async () => {
    const { service, closes, errors } = echoWithEvents();
    const listener = await startListener(service, { maxConnections: 1 });
    assert.deepEqual(listener.stats(), ZERO);
    const socket = await rawClient(listener.localPort);
    socket.write("double");
    await readFully(socket, 12);
    assert.deepEqual(listener.stats(), { ...ZERO, connections: 1, accepted: 1, bytesReceived: 6, bytesSent: 12 });

    const refusedError = errors();
    const extra = await rawClient(listener.localPort);
    await refusedError;
    await destroyed(extra);
    const closed = closes();
    await destroyed(socket);
    await closed;
    assert.deepEqual(listener.stats(), { ...ZERO, accepted: 1, refused: 1, closed: 1, bytesReceived: 6, bytesSent: 12 });
    await listener.gracefulStop();
    // Still readable after the stop; a new start() begins from zero.
    assert.equal(listener.stats().closed, 1);
    await listener.start();
    assert.deepEqual(listener.stats(), ZERO);
    await listener.gracefulStop();
  });

  it("counts payload bytes after TLS, and failed handshakes", async () => {
    const { service, closes, errors } = echoWithEvents();
    const listener = await startListener(service, { secureSocket: { key: { certFile: pki.serverCert, keyFile: pki.serverKey } } });
    const client = await Client.connect("127.0.0.1", listener.localPort, { secureSocket: { cert: pki.caCert }, timeout: 5 });
    await client.writeBytes("double");
    await client.readExactly(12);
    assert.deepEqual(listener.stats(), { ...ZERO, connections: 1, accepted: 1, bytesReceived: 6, bytesSent: 12 });

    // A plain-TCP peer fails the handshake: never accepted, counted as such.
    const failed = errors();
    const plain = await rawClient(listener.localPort);
    plain.write("GET / HTTP/1.0\r\n\r\n");
    assert.match((await failed).message, /^TLS handshake failed/);
    await destroyed(plain);
    const closed = closes();
    await client.close();
    await closed;
    assert.deepEqual(listener.stats(), { ...ZERO, accepted: 1, closed: 1, bytesReceived: 6, bytesSent: 12, tlsHandshakeFailures: 1 });
    await listener.gracefulStop();
  });

  it("publishes the same figures on tcpkit:listener:stats: on stats(), every statsInterval, and at the end of a stop", async () => {
    const seen: { port: number; stats: ListenerStats }[] = [];
    let next = deferred();
    const onMessage = (message: unknown): void => {
      seen.push(message as { port: number; stats: ListenerStats });
      const done = next;
      next = deferred();
      done.resolve();
    };
    diagnostics.subscribe("tcpkit:listener:stats", onMessage);
    try {
      const listener = await startListener({ onConnect: () => ({ onBytes: (data) => data }) }, { statsInterval: 0.02 });
      const socket = await rawClient(listener.localPort);
      socket.write("abc");
      await readFully(socket, 3);
      const returned = listener.stats();
      const last = seen.at(-1);
      assert.deepEqual(last, { port: listener.localPort, stats: returned });

      // The interval publishes without a call.
      const count = seen.length;
      await next.promise;
      assert.equal(seen.length, count + 1);
      assert.equal(seen.at(-1)?.stats.bytesReceived, 3);

      const port = listener.localPort;
      await destroyed(socket);
      await listener.gracefulStop();
      assert.deepEqual(seen.at(-1), { port, stats: { ...ZERO, accepted: 1, closed: 1, bytesReceived: 3, bytesSent: 3 } });
    } finally {
      diagnostics.unsubscribe("tcpkit:listener:stats", onMessage);
    }
  });
});
