/**
 * The read and write time-outs' timers are unref'd (toggling their ref per
 * round trip cost calls into Node's timer list): what holds the process open
 * while a read or write waits is the socket work itself. A child process
 * whose only pending work is one timed read or write must stay up until the
 * time-out fires, and a connection the server closes while its peer never
 * sends FIN must still be closed by the linger timer.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { describe, it } from "node:test";
import { Listener, type Caller } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient, rawServer } from "./helpers/peers.js";
import { startPeer } from "./helpers/processes.js";
import { scriptCommand } from "./helpers/runtime.js";

checkLeaksAfterEachTest();

const fixture = fileURLToPath(new URL("./fixtures/lone-timeout.js", import.meta.url));

describe("A process with only a timed read or write pending", () => {
  for (const mode of ["read", "write"] as const) {
    it(`stays up until its ${mode} times out`, { timeout: 30_000 }, async () => {
      // The peer sends nothing and reads nothing.
      const server = await rawServer((socket) => socket.pause());
      try {
        const [command, args] = scriptCommand(fixture, [mode, String(server.port)]);
        const child = startPeer(command, args, { cwd: process.cwd(), timeoutMs: 20_000 });
        const [, errorClass] = await child.waitFor(/timed out (\w+)/);
        assert.equal(errorClass, mode === "read" ? "ReadTimeoutError" : "WriteTimeoutError");
        assert.equal(await child.exited, 0);
      } finally {
        await server.close();
      }
    });
  }
});

describe("Listener connection latches", () => {
  it("caller.close() from onClose resolves; a stop after every onClose resolves", async () => {
    let closedFromOnClose: Promise<void> | undefined;
    let onCloseRan!: () => void;
    const ran = new Promise<void>((resolve) => (onCloseRan = resolve));
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    listener.attach({
      onConnect: () => ({
        onClose: (caller: Caller) => {
          closedFromOnClose = caller.close();
          onCloseRan();
        },
      }),
    });
    await listener.start();
    try {
      const peer = await rawClient(listener.localPort);
      peer.end();
      await ran;
      await closedFromOnClose; // the socket closed before onClose: already settled
    } finally {
      await listener.gracefulStop();
    }
  });

  it("a close the server begins ends at the linger time-out when the peer never sends FIN", { timeout: 30_000 }, async () => {
    let onCloseRan!: () => void;
    const ran = new Promise<void>((resolve) => (onCloseRan = resolve));
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    listener.attach({
      onConnect: (caller: Caller) => {
        void caller.close(); // FIN at once; the peer below never answers with its own
        return { onClose: () => onCloseRan() };
      },
    });
    await listener.start();
    const { default: net } = await import("node:net");
    const peer = net.connect({ host: "127.0.0.1", port: listener.localPort, allowHalfOpen: true });
    peer.on("error", () => {});
    peer.resume();
    try {
      await ran; // only the linger timer can close the server's socket now
    } finally {
      peer.destroy();
      await listener.gracefulStop();
    }
  });
});
