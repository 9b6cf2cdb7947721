/**
 * Listener connections at the edges of their lifecycle (see
 * src/tcp/connection-lifecycle.ts), on real sockets: stops that meet a
 * socket already closed while user code still runs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { startListener } from "./helpers/listeners.js";
import { rawClient } from "./helpers/peers.js";

checkLeaksAfterEachTest();

describe("Listener connection lifecycle", () => {
  it("immediateStop after a peer's reset runs onClose without waiting for the async onBytes in flight", async () => {
    const inHandler = deferred();
    const release = deferred();
    const reset = deferred();
    const events: string[] = [];
    const listener = await startListener({
      onConnect: () => ({
        async onBytes() {
          inHandler.resolve();
          await release.promise;
          events.push("handler done");
        },
        // caller.close() resolves when the server's socket has closed
        onError: (_error, caller) => void caller.close().then(() => reset.resolve()),
        onClose: () => void events.push("close"),
      }),
    });
    const socket = await rawClient(listener.localPort);
    socket.write("x");
    await inHandler.promise;
    socket.resetAndDestroy();
    await reset.promise; // the server's socket closed while onBytes is pending
    const stopped = listener.immediateStop();
    let stopResolved = false;
    void stopped.then(() => (stopResolved = true));
    await new Promise((resolve) => setImmediate(resolve));
    release.resolve();
    await stopped;
    assert.ok(stopResolved);
    assert.equal(events.filter((e) => e === "close").length, 1);
  });
});
