/**
 * The listener's per-connection diagnostics messages, built only when the
 * channel has a subscriber: an accept names the connection and its peer, and
 * its close names the same connection.
 */
import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { it } from "node:test";
import { Listener } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient } from "./helpers/peers.js";

checkLeaksAfterEachTest();

it("tcpkit:listener:accept and tcpkit:connection:close carry the connection's id and peer", async () => {
  const accepted: Array<{ id: string; remoteHost: string; remotePort: number }> = [];
  const closed: Array<{ id: string }> = [];
  const onAccept = (message: unknown): void => void accepted.push(message as (typeof accepted)[number]);
  const onClose = (message: unknown): void => void closed.push(message as (typeof closed)[number]);
  let callerId: string | undefined;
  let onCloseRan!: () => void;
  const ran = new Promise<void>((resolve) => (onCloseRan = resolve));
  const listener = new Listener(0, { localHost: "127.0.0.1" });
  listener.attach({
    onConnect: (caller) => {
      callerId = caller.id;
      return { onClose: () => onCloseRan() };
    },
  });
  diagnostics.subscribe("tcpkit:listener:accept", onAccept);
  diagnostics.subscribe("tcpkit:connection:close", onClose);
  try {
    await listener.start();
    const peer = await rawClient(listener.localPort);
    const localPort = peer.localPort;
    peer.end();
    await ran;
    assert.equal(accepted.length, 1);
    assert.deepEqual(accepted[0], { id: callerId, remoteHost: "127.0.0.1", remotePort: localPort });
    assert.deepEqual(closed, [{ id: callerId }]);
  } finally {
    diagnostics.unsubscribe("tcpkit:listener:accept", onAccept);
    diagnostics.unsubscribe("tcpkit:connection:close", onClose);
    await listener.gracefulStop();
  }
});
