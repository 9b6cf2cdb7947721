/**
 * A Listener's framed services (`framing` + `onFrame`) through real sockets:
 * a raw node:net client writes encoded frames cut at random places, and the
 * service must see exactly those frames, in order, one at a time; what it
 * returns goes back encoded. Limits close the connection.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  Client,
  ConnectionClosedError,
  Listener,
  TcpError,
  lengthPrefixed,
  lines,
  type Caller,
  type Codec,
  type ConnectionService,
} from "../src/index.js";
import { encoded, splitAt } from "./helpers/framing.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawClient, readFully, readToEnd, writePieces } from "./helpers/peers.js";
import { command, resp, type RespValue } from "./helpers/resp-codec.js";
import { serve } from "./helpers/serve.js";

checkLeaksAfterEachTest();

const cuts = fc.array(fc.nat({ max: 5000 }), { maxLength: 12 });

describe("onFrame through a real socket, bytes split at random", () => {
  test("lengthPrefixed echo: every frame once, in order, one at a time; replies encoded", async () => {
    const codec = lengthPrefixed({ lengthBytes: 2 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { minLength: 1, maxLength: 10 }), cuts, fc.boolean(), async (frames, at, async) => {
        const seen: Buffer[] = [];
        let running = 0;
        let overlapped = false;
        const served = await serve(() => ({
          framing: codec,
          onFrame: (frame: Uint8Array) => {
            seen.push(Buffer.from(frame));
            if (!async) return frame;
            running++;
            overlapped ||= running > 1;
            return new Promise<Uint8Array>((resolve) =>
              setImmediate(() => {
                running--;
                resolve(frame);
              }),
            );
          },
        }));
        const socket = await rawClient(served.port);
        try {
          const wire = Buffer.concat(frames.map((f) => encoded(codec, f)));
          const echoed = readFully(socket, wire.length);
          await writePieces(socket, splitAt(wire, at));
          assert.deepEqual(await echoed, wire);
          assert.deepEqual(seen, frames.map((f) => Buffer.from(f)));
          assert.equal(overlapped, false);
          assert.deepEqual(served.errors, []);
        } finally {
          socket.destroy();
          await served.stop();
        }
      }),
      { numRuns: 25 },
    );
  });

  test("RESP (a user-written codec): a tiny Redis answers commands pipelined in random pieces", async () => {
    const codec = resp();
    const store = new Map<string, Uint8Array>();
    const served = await serve(() => ({
      framing: codec,
      onFrame(frame: RespValue): RespValue {
        if (frame.type !== "array" || frame.value === null) return { type: "error", message: "ERR expected a command" };
        const [name, ...args] = frame.value.map((v) => (v.type === "bulk" && v.value !== null ? Buffer.from(v.value) : Buffer.alloc(0)));
        switch (name?.toString().toUpperCase()) {
          case "PING":
            return { type: "simple", value: "PONG" };
          case "SET":
            store.set(args[0]!.toString(), args[1]!);
            return { type: "simple", value: "OK" };
          case "GET":
            return { type: "bulk", value: store.get(args[0]!.toString()) ?? null };
          default:
            return { type: "error", message: `ERR unknown command '${name?.toString()}'` };
        }
      },
    }));
    const commands = [command("PING"), command("SET", "k", "v\r\n1"), command("GET", "k"), command("GET", "nope"), command("FLY")];
    const expected: RespValue[] = [
      { type: "simple", value: "PONG" },
      { type: "simple", value: "OK" },
      { type: "bulk", value: Buffer.from("v\r\n1") },
      { type: "bulk", value: null },
      { type: "error", message: "ERR unknown command 'FLY'" },
    ];
    try {
      await fc.assert(
        fc.asyncProperty(cuts, async (at) => {
          const socket = await rawClient(served.port);
          const client = await Client.connect("127.0.0.1", served.port, { timeout: 5 });
          try {
            // Pipelined through the raw socket, cut at random; the replies read with the codec on a tcpkit client.
            await writePieces(socket, splitAt(Buffer.concat(commands.map((c) => encoded(codec, c))), at));
            const replies = await readFully(socket, Buffer.concat(expected.map((e) => encoded(codec, e))).length);
            assert.deepEqual(replies, Buffer.concat(expected.map((e) => encoded(codec, e))));
            await client.writeFrame(codec, command("PING"));
            assert.deepEqual(await client.readFrame(codec), { type: "simple", value: "PONG" });
          } finally {
            socket.destroy();
            await client.close();
          }
        }),
        { numRuns: 15 },
      );
      assert.deepEqual(served.errors, []);
    } finally {
      await served.stop();
    }
  });
});

describe("onFrame: order, write-backs, errors and limits", () => {
  test("caller.writeFrame uses the connection's codec, in order with returned frames", async () => {
    const codec = lines();
    const served = await serve((caller) => ({
      framing: codec,
      async onFrame(line: Uint8Array) {
        await caller.writeFrame(Buffer.from(`got ${Buffer.from(line).toString()}`));
        return Buffer.from("next?");
      },
    }));
    const socket = await rawClient(served.port);
    try {
      const expected = "got a\r\nnext?\r\ngot b\r\nnext?\r\n";
      const replies = readFully(socket, expected.length);
      socket.write("a\nb\r\n");
      assert.equal((await replies).toString(), expected);
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("caller.writeFrame inside onConnect (a greeting) uses the codec of the service returned, in call order", async () => {
    const codec = lines();
    const served = await serve((caller) => {
      void caller.writeFrame(Buffer.from("220 hello"));
      void caller.writeBytes("raw after the greeting\r\n");
      return { framing: codec, onFrame: (line: Uint8Array) => line };
    });
    const socket = await rawClient(served.port);
    try {
      const expected = "220 hello\r\nraw after the greeting\r\nping\r\n";
      const all = readFully(socket, expected.length);
      socket.write("ping\n");
      assert.equal((await all).toString(), expected);
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("caller.writeFrame without framing: ERR_INVALID_STATE", async () => {
    let result: Promise<void> | undefined;
    const served = await serve((caller) => ({
      onBytes() {
        result = caller.writeFrame(Buffer.from("x"));
        return result.then(
          () => "wrote",
          (error: TcpError) => error.code,
        );
      },
    }));
    const socket = await rawClient(served.port);
    try {
      const reply = readFully(socket, "ERR_INVALID_STATE".length);
      socket.write("go");
      assert.equal((await reply).toString(), "ERR_INVALID_STATE");
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("a frame over maxLength: onError with ERR_FRAME_TOO_LONG, earlier frames answered, the connection closed", async () => {
    const codec = lines({ maxLength: 10 });
    const served = await serve(() => ({ framing: codec, onFrame: (line: Uint8Array) => line }));
    const socket = await rawClient(served.port);
    try {
      const all = readToEnd(socket);
      socket.write("short\nthis line is far too long\nnever\n");
      assert.equal((await all).toString(), "short\r\n");
      await served.closed();
      assert.equal(served.errors.length, 1);
      assert.equal(served.errors[0]!.code, "ERR_FRAME_TOO_LONG");
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("a length field over maxLength is refused as soon as it arrives, without waiting for the payload", async () => {
    const codec = lengthPrefixed({ lengthBytes: 4, maxLength: 1024 });
    const served = await serve(() => ({ framing: codec, onFrame: (frame: Uint8Array) => frame }));
    const socket = await rawClient(served.port);
    try {
      const ended = readToEnd(socket);
      socket.write(Uint8Array.of(0x7f, 0, 0, 0));
      await ended;
      await served.closed();
      assert.equal(served.errors[0]?.code, "ERR_FRAME_TOO_LONG");
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("a decoder that never gives up is stopped at maxLength + 64 KiB: the per-connection buffer is bounded", async () => {
    const endless: Codec<Uint8Array> = { maxLength: 1000, createDecoder: () => ({ decode: () => undefined }), encode: (f) => f };
    const served = await serve(() => ({ framing: endless, onFrame: () => undefined }));
    const socket = await rawClient(served.port);
    try {
      const ended = readToEnd(socket);
      socket.write(Buffer.alloc(200_000, 0x61), () => {});
      await ended;
      await served.closed();
      assert.equal(served.errors[0]?.code, "ERR_FRAME_TOO_LONG");
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("bytes that break the protocol (the decoder throws): onError, the connection closed", async () => {
    const served = await serve(() => ({ framing: resp(), onFrame: () => ({ type: "simple", value: "OK" }) }));
    const socket = await rawClient(served.port);
    try {
      const all = readToEnd(socket);
      socket.write("+ping\r\n?garbage\r\n");
      assert.equal((await all).toString(), "+OK\r\n");
      await served.closed();
      assert.equal(served.errors.length, 1);
      assert.match(served.errors[0]!.message, /unknown type byte/);
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("a returned error, a thrown error and a frame the codec refuses go to onError; the connection stays", async () => {
    const codec = lines({ maxLength: 5 });
    const served = await serve(() => ({
      framing: codec,
      onFrame(line: Uint8Array) {
        const text = Buffer.from(line).toString();
        if (text === "ret") return new TcpError("returned");
        if (text === "throw") throw new Error("thrown");
        if (text === "long") return Buffer.from("much too long");
        return line;
      },
    }));
    const socket = await rawClient(served.port);
    try {
      const reply = readFully(socket, "ok\r\n".length);
      socket.write("ret\nthrow\nlong\nok\n");
      assert.equal((await reply).toString(), "ok\r\n");
      assert.deepEqual(served.errors.map((e) => e.message.split(" (")[0]), ["returned", "thrown", "Frame longer than 5 bytes"]);
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("the peer's FIN behind queued frames: every frame is handled (one at a time), then onEnd, then onClose", async () => {
    const codec = lines();
    const events: string[] = [];
    const served = await serve(() => ({
      framing: codec,
      onFrame: async (line: Uint8Array) => {
        events.push(`frame ${Buffer.from(line).toString()}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        return line;
      },
      onEnd: () => {
        events.push("end");
        return "bye\r\n";
      },
      onClose: () => void events.push("close"),
    }));
    const socket = await rawClient(served.port);
    try {
      const all = readToEnd(socket);
      socket.end("1\n2\n3\n");
      assert.equal((await all).toString(), "1\r\n2\r\n3\r\nbye\r\n");
      await served.closed();
      assert.deepEqual(events, ["frame 1", "frame 2", "frame 3", "end", "close"]);
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("the peer closes in the middle of a frame: onError with a ConnectionClosedError, after the whole frames", async () => {
    const served = await serve(() => ({ framing: lines(), onFrame: (line: Uint8Array) => line }));
    const socket = await rawClient(served.port);
    try {
      const all = readToEnd(socket);
      socket.end("whole\nhal");
      assert.equal((await all).toString(), "whole\r\n");
      await served.closed();
      assert.equal(served.errors.length, 1);
      assert.ok(served.errors[0] instanceof ConnectionClosedError);
      assert.match(served.errors[0].message, /3 bytes of an unfinished frame/);
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("onFrame without framing, or with onBytes too, is refused like a failed onConnect", async () => {
    for (const bad of [{ onFrame: () => undefined }, { framing: lines(), onFrame: () => undefined, onBytes: () => undefined }, { framing: {} as Codec, onFrame: () => undefined }]) {
      const served = await serve(() => bad as ConnectionService);
      const socket = await rawClient(served.port);
      try {
        await once(socket, "close");
        assert.equal(served.listenerErrors[0]?.code, "ERR_INVALID_ARGUMENT");
      } finally {
        socket.destroy();
        await served.stop();
      }
    }
  });

  test("framing with onBytes (no onFrame): bytes arrive raw, caller.writeFrame encodes", async () => {
    const codec = lengthPrefixed({ lengthBytes: 1 });
    const served = await serve((caller) => ({ framing: codec, onBytes: (data) => caller.writeFrame(data) }));
    const socket = await rawClient(served.port);
    try {
      const reply = readFully(socket, 4);
      socket.write("abc");
      assert.deepEqual([...(await reply)], [3, 0x61, 0x62, 0x63]);
    } finally {
      socket.destroy();
      await served.stop();
    }
  });

  test("gracefulStop while a frame handler runs: it finishes, its reply is flushed, queued frames are dropped", async () => {
    const codec = lines();
    let release!: () => void;
    let started!: () => void;
    const inHandler = new Promise<void>((resolve) => (started = resolve));
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    const seen: string[] = [];
    listener.attach({
      onConnect: () => ({
        framing: codec,
        onFrame: async (line: Uint8Array) => {
          seen.push(Buffer.from(line).toString());
          started();
          await new Promise<void>((resolve) => (release = resolve));
          return line;
        },
      }),
    });
    await listener.start();
    const socket = await rawClient(listener.localPort);
    try {
      const all = readToEnd(socket);
      socket.write("first\nsecond\n");
      await inHandler;
      const stopped = listener.gracefulStop();
      release();
      await stopped;
      assert.equal((await all).toString(), "first\r\n");
      assert.deepEqual(seen, ["first"]);
    } finally {
      socket.destroy();
    }
  });
});
