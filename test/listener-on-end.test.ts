/**
 * The core's `ConnectionService.onEnd` hook: after the peer's half-close a
 * service can still reply (request-until-EOF protocols), then the connection
 * closes. Checked with raw node:net clients.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { Listener, type TcpError } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient, readToEnd } from "./helpers/peers.js";

checkLeaksAfterEachTest();

describe("ConnectionService.onEnd", () => {
  it("runs after the last onBytes; its returned bytes are sent before the connection closes", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    const events: string[] = [];
    let onClosed!: () => void;
    const closed = new Promise<void>((resolve) => (onClosed = resolve));
    listener.attach({
      onConnect() {
        const parts: Buffer[] = [];
        return {
          onBytes(data) {
            events.push("bytes");
            parts.push(Buffer.from(data));
          },
          async onEnd() {
            events.push("end");
            await new Promise((resolve) => setImmediate(resolve));
            return `got ${Buffer.concat(parts).length} bytes: ${Buffer.concat(parts).toString().toUpperCase()}`;
          },
          onClose() {
            events.push("close");
            onClosed();
          },
        };
      },
    });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    try {
      socket.end("request until EOF");
      assert.equal((await readToEnd(socket)).toString(), "got 17 bytes: REQUEST UNTIL EOF");
      await closed;
      assert.equal(events.at(-2), "end");
      assert.equal(events.at(-1), "close");
      assert.ok(events.slice(0, -2).every((e) => e === "bytes"));
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("onEnd may stream a long reply with caller.writeBytes after the peer's FIN: every byte arrives", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    const reply = randomBytes(8 * 1024 * 1024);
    listener.attach({
      onConnect: () => ({
        async onEnd(caller) {
          for (let at = 0; at < reply.length; at += 64 * 1024) await caller.writeBytes(reply.subarray(at, at + 64 * 1024));
        },
      }),
    });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    try {
      socket.end("send me everything");
      const got = await readToEnd(socket);
      assert.equal(got.length, reply.length);
      assert.equal(createHash("sha256").update(got).digest("hex"), createHash("sha256").update(reply).digest("hex"));
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("without onEnd, writes queued before the peer's FIN are flushed before the connection closes", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    const reply = randomBytes(4 * 1024 * 1024);
    let written!: Promise<void>;
    listener.attach({
      onConnect: () => ({
        onBytes(_data, caller) {
          written = caller.writeBytes(reply); // not awaited: the handler returns at once
        },
      }),
    });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    try {
      socket.end("go");
      const got = await readToEnd(socket);
      await written;
      assert.ok(got.equals(reply), `got ${got.length} of ${reply.length} bytes`);
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });

  it("an onEnd that throws goes to onError and the connection still closes", async () => {
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    const errors: TcpError[] = [];
    listener.attach({
      onConnect: () => ({
        onEnd() {
          throw new Error("end handler failed");
        },
        onError: (error) => void errors.push(error),
      }),
    });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    try {
      socket.end("x");
      assert.equal((await readToEnd(socket)).length, 0);
      assert.deepEqual(errors.map((e) => e.message), ["end handler failed"]);
    } finally {
      socket.destroy();
      await listener.gracefulStop();
    }
  });
});
