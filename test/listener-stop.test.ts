/**
 * Stopping on time (SPEC §12): `gracefulStop({ timeout })` forces what is
 * still open when the time runs out, `immediateStop()` forces a pending
 * graceful stop, and no order of stop calls throws once the listener started.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, it } from "node:test";
import { Listener, type Caller, type Service } from "../src/index.js";
import { rejection } from "./helpers/assertions.js";
import { deferred } from "./helpers/deferred.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { startListener } from "./helpers/listeners.js";
import { destroyed, rawClient, readFully } from "./helpers/peers.js";

checkLeaksAfterEachTest();

/** A service whose `onBytes` never settles; counts `onClose` per connection. */
function stuckService(): { service: Service; handling: Promise<void>; closes: Map<string, number> } {
  const handling = deferred();
  const closes = new Map<string, number>();
  const service: Service = {
    onConnect: () => ({
      onBytes: () => {
        handling.resolve();
        return new Promise<never>(() => {});
      },
      onClose: (caller: Caller) => void closes.set(caller.id, (closes.get(caller.id) ?? 0) + 1),
    }),
  };
  return { service, handling: handling.promise, closes };
}

const OPTS = { timeout: 20_000 };

describe("Listener stop", () => {
  it("gracefulStop({ timeout }) destroys a connection whose handler never settles, runs onClose once, resolves", OPTS, async () => {
    const { service, handling, closes } = stuckService();
    const listener = await startListener(service);
    const socket = await rawClient(listener.localPort);
    const peerClosed = once(socket, "close");
    socket.write("hang");
    await handling;
    await listener.gracefulStop({ timeout: 0.2 });
    assert.deepEqual([...closes.values()], [1]);
    assert.equal(listener.connectionCount, 0);
    await peerClosed;
  });

  it("immediateStop() while a graceful stop waits on a stuck handler forces it: both resolve, onClose once", OPTS, async () => {
    const { service, handling, closes } = stuckService();
    const listener = await startListener(service);
    const socket = await rawClient(listener.localPort);
    socket.write("hang");
    await handling;
    let gracefulDone = false;
    const graceful = listener.gracefulStop().then(() => (gracefulDone = true));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(gracefulDone, false, "the graceful stop waits for the handler");
    await listener.immediateStop();
    await graceful;
    assert.deepEqual([...closes.values()], [1]);
    await destroyed(socket);
  });

  it("a connection closed while its handler hangs: immediateStop still runs onClose once and resolves", OPTS, async () => {
    const socketClosed = deferred();
    let closes = 0;
    const listener = await startListener({
      onConnect: () => ({
        onBytes: (_data, caller) => {
          // The socket closes now; onClose waits for this handler, which never settles.
          void caller.close().then(() => socketClosed.resolve());
          return new Promise<never>(() => {});
        },
        onClose: () => void closes++,
      }),
    });
    const socket = await rawClient(listener.localPort);
    socket.write("hang");
    await socketClosed.promise;
    assert.equal(closes, 0);
    await listener.immediateStop();
    assert.equal(closes, 1);
    await destroyed(socket);
  });

  it("a handler that settles in time: its reply is flushed and the time-out never fires", OPTS, async () => {
    const release = deferred();
    const handling = deferred();
    const listener = await startListener({
      onConnect: () => ({
        onBytes: async (data) => {
          handling.resolve();
          await release.promise;
          return data;
        },
      }),
    });
    const socket = await rawClient(listener.localPort);
    socket.write("late");
    await handling.promise;
    const stopped = listener.gracefulStop({ timeout: 3600 });
    const reply = readFully(socket, 4);
    release.resolve();
    assert.equal((await reply).toString(), "late");
    await stopped; // the leak check proves the hour-long timer was cleared
    await destroyed(socket);
  });

  it("no order of stop calls throws once started; before start: Unable to initialize the tcp listener.", OPTS, async () => {
    const fresh = new Listener(0, { localHost: "127.0.0.1" });
    assert.equal((await rejection(fresh.gracefulStop())).message, "Unable to initialize the tcp listener.");
    assert.equal((await rejection(fresh.immediateStop())).message, "Unable to initialize the tcp listener.");

    const { service, handling } = stuckService();
    const listener = await startListener(service);
    const socket = await rawClient(listener.localPort);
    socket.write("hang");
    await handling;
    const first = listener.gracefulStop();
    const second = listener.gracefulStop({ timeout: 0.1 }); // joins, and its time-out applies
    await Promise.all([first, second]);
    await listener.gracefulStop();
    await listener.immediateStop();
    await listener.gracefulStop({ timeout: 1 });
    await destroyed(socket);

    // And the listener starts again after all that.
    await listener.start();
    const again = await rawClient(listener.localPort);
    await listener.immediateStop();
    await listener.immediateStop();
    await destroyed(again);
  });

  it("an onConnect that never settles is ended by the time-out", OPTS, async () => {
    const connecting = deferred();
    const listener = await startListener({
      onConnect: () => {
        connecting.resolve();
        return new Promise<never>(() => {});
      },
    });
    const socket = await rawClient(listener.localPort);
    await connecting.promise;
    await listener.gracefulStop({ timeout: 0.1 });
    assert.equal(listener.connectionCount, 0);
    await destroyed(socket);
  });

  it("a bad timeout rejects with ERR_INVALID_ARGUMENT naming it, and stops nothing", OPTS, async () => {
    const listener = await startListener({ onConnect: () => ({ onBytes: (data) => data }) });
    for (const timeout of [-1, Number.NaN, "5" as unknown as number]) {
      const error = await rejection(listener.gracefulStop({ timeout }));
      assert.equal(error.code, "ERR_INVALID_ARGUMENT");
      assert.match(error.message, /^timeout must be a number of seconds >= 0/);
    }
    const socket = await rawClient(listener.localPort);
    socket.write("still up");
    assert.equal((await readFully(socket, 8)).toString(), "still up");
    await listener.gracefulStop({ timeout: Infinity });
    await destroyed(socket);
  });
});
