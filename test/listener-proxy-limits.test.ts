/**
 * The one accept path with the PROXY protocol on: `maxConnections` counts sockets still sending
 * their header, `maxConnectionsPerHost` counts the client address from the header (not the
 * balancer's), and `stats()` counts refused headers and leaves the header's bytes out of
 * `bytesReceived`. Real sockets on loopback.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { withEcho } from "./helpers/echo.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { destroyed, rawClient, readFully } from "./helpers/peers.js";
import { clientSending, closedByListener } from "./helpers/proxy-peers.js";
import { skipOn } from "./helpers/runtime.js";

checkLeaksAfterEachTest();

/** A v1 header for a client at `host`:`port` (TCP4, to 192.0.2.11:443). */
function v1From(host: string, port: number): Buffer {
  return Buffer.from(`PROXY TCP4 ${host} 192.0.2.11 ${port} 443\r\n`);
}

describe("listener limits and stats behind a PROXY protocol balancer", () => {
  it("maxConnectionsPerHost counts the header's client address, not the balancer's", async () => {
    await withEcho({ proxyProtocol: true, maxConnectionsPerHost: 1 }, async (echo) => {
      // Both arrive from 127.0.0.1 (the "balancer"), for two different clients: both are served.
      const first = await clientSending(echo.port, Buffer.concat([v1From("192.0.2.1", 1000), Buffer.from("one")]));
      const second = await clientSending(echo.port, Buffer.concat([v1From("192.0.2.2", 1000), Buffer.from("two")]));
      assert.equal((await readFully(first, 3)).toString(), "one");
      assert.equal((await readFully(second, 3)).toString(), "two");
      // A second connection of the first client while its first is open: refused, naming the client.
      const refusal = echo.nextError();
      const third = await clientSending(echo.port, Buffer.concat([v1From("192.0.2.1", 2000), Buffer.from("three")]));
      await closedByListener(third);
      const error = await refusal;
      assert.equal(error.code, "ERR_CONNECTION_LIMIT");
      assert.equal(error.message, "connection from 192.0.2.1:2000 refused: maxConnectionsPerHost (1) reached for 192.0.2.1");
      assert.equal(echo.callers.length, 2, "onConnect never ran for the refused one");
      assert.equal(echo.listener.stats().refused, 1);
      await destroyed(first);
      await destroyed(second);
    });
  });

  it("maxConnections counts a socket still sending its header", {
    skip: skipOn("deno", "Deno's node:net Server does not enforce maxConnections (see docs/runtimes.md)"),
  }, async () => {
    await withEcho({ proxyProtocol: true, maxConnections: 1, proxyHeaderTimeout: 0 }, async (echo) => {
      const silent = await rawClient(echo.port); // connected, no header yet
      const refusal = echo.nextError();
      const extra = await rawClient(echo.port);
      await closedByListener(extra);
      const error = await refusal;
      assert.equal(error.code, "ERR_CONNECTION_LIMIT");
      assert.match(error.message, /refused: maxConnections \(1\) reached$/);
      // The first one still gets served once its header arrives.
      silent.write(Buffer.concat([v1From("192.0.2.1", 1000), Buffer.from("late")]));
      assert.equal((await readFully(silent, 4)).toString(), "late");
      await destroyed(silent);
      await destroyed(extra);
    });
  });

  it("stats: a refused header is a proxyHeaderFailure; header bytes are not payload", async () => {
    await withEcho({ proxyProtocol: true }, async (echo) => {
      const failure = echo.nextError();
      const bad = await clientSending(echo.port, Buffer.from("GET / HTTP/1.1\r\n\r\n"));
      await closedByListener(bad);
      assert.equal((await failure).code, "ERR_PROXY_PROTOCOL");
      const good = await clientSending(echo.port, Buffer.concat([v1From("192.0.2.1", 1000), Buffer.from("hello")]));
      assert.equal((await readFully(good, 5)).toString(), "hello");
      const stats = echo.listener.stats();
      assert.equal(stats.proxyHeaderFailures, 1);
      assert.equal(stats.accepted, 1);
      assert.equal(stats.bytesReceived, 5, "the header's bytes are left out");
      assert.equal(stats.bytesSent, 5);
      await destroyed(bad);
      await destroyed(good);
    });
  });
});
