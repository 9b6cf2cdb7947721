/**
 * Client.readFrame / writeFrame / frames through real sockets: a raw
 * node:net server writes the encoded frames cut at random places (each piece
 * its own write, so they arrive as separate reads), and the client must see
 * exactly the frames, whatever the cuts; time-outs, aborts and limits leave
 * every byte for the next read.
 */
import assert from "node:assert/strict";
import type net from "node:net";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  Client,
  ConnectionClosedError,
  TcpError,
  delimited,
  fixed,
  lengthPrefixed,
  lines,
  type Codec,
} from "../src/index.js";
import { encoded, splitAt } from "./helpers/framing.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer, writePieces } from "./helpers/peers.js";
import { command, resp, type RespValue } from "./helpers/resp-codec.js";

checkLeaksAfterEachTest();

/** A raw server that sends `bytes` cut at `cuts` to the first client, then keeps the connection open. */
async function withPieces(
  pieces: readonly Uint8Array[],
  body: (client: Client, server: { socket: Promise<net.Socket> }) => Promise<void>,
  config: { timeout?: number } = {},
): Promise<void> {
  let resolveSocket!: (socket: net.Socket) => void;
  const socket = new Promise<net.Socket>((resolve) => (resolveSocket = resolve));
  const server = await rawServer((s) => {
    s.setNoDelay(true);
    resolveSocket(s);
    void writePieces(s, pieces).catch(() => {});
  });
  const client = await Client.connect("127.0.0.1", server.port, { timeout: config.timeout ?? 5 });
  try {
    await body(client, { socket });
  } finally {
    await client.close();
    await server.close();
  }
}

const payload = fc.uint8Array({ maxLength: 300 });
const cuts = fc.array(fc.nat({ max: 5000 }), { maxLength: 12 });

describe("Client frames through a real socket, bytes split at random", () => {
  const codecs: Array<[string, Codec<Uint8Array>, fc.Arbitrary<Uint8Array>]> = [
    ["lengthPrefixed 2", lengthPrefixed({ lengthBytes: 2 }), payload],
    ["lengthPrefixed 4 little-endian", lengthPrefixed({ lengthBytes: 4, littleEndian: true }), payload],
    ["lines", lines(), payload.map((p) => p.map((b) => (b === 0x0a || b === 0x0d ? 0x20 : b)))],
    ["delimited '--'", delimited("--"), fc.array(fc.constantFrom(0x61, 0x2d, 0x62), { maxLength: 40 }).map((a) => {
      // No "--" inside, and no trailing "-" that would make one with the delimiter.
      const text = Buffer.from(a).toString().replace(/-+/g, "-").replace(/-$/, "");
      return new Uint8Array(Buffer.from(text));
    })],
    ["fixed 7", fixed(7), fc.uint8Array({ minLength: 7, maxLength: 7 })],
  ];
  for (const [name, codec, frameArb] of codecs) {
    test(`${name}: every frame, in order, whatever the cuts`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(frameArb, { minLength: 1, maxLength: 8 }), cuts, async (frames, at) => {
          const wire = Buffer.concat(frames.map((f) => encoded(codec, f)));
          await withPieces(splitAt(wire, at), async (client) => {
            for (const frame of frames) assert.deepEqual(Buffer.from(await client.readFrame(codec)), Buffer.from(frame));
          });
        }),
        { numRuns: 25 },
      );
    });
  }

  test("a user-written codec (RESP): nested replies, whatever the cuts", async () => {
    const codec = resp();
    const reply: RespValue = {
      type: "array",
      value: [
        { type: "bulk", value: Buffer.from("hello\r\nworld") },
        { type: "integer", value: -42 },
        { type: "array", value: [{ type: "simple", value: "OK" }, { type: "bulk", value: null }] },
        { type: "error", message: "ERR nope" },
      ],
    };
    await fc.assert(
      fc.asyncProperty(cuts, async (at) => {
        const wire = Buffer.concat([encoded(codec, reply), encoded(codec, command("PING"))]);
        await withPieces(splitAt(wire, at), async (client) => {
          assert.deepEqual(await client.readFrame(codec), reply);
          assert.deepEqual(await client.readFrame(codec), command("PING"));
        });
      }),
      { numRuns: 25 },
    );
  });
});

describe("Client frames: mixed reads, time-outs, aborts, limits", () => {
  test("readFrame, readExactly, readUntil and readFrame again share one buffer; nothing lost", async () => {
    const codec = lengthPrefixed({ lengthBytes: 1 });
    const wire = Buffer.concat([encoded(codec, Buffer.from("one")), Buffer.from("RAW"), Buffer.from("line\n"), encoded(codec, Buffer.from("two"))]);
    await withPieces([wire.subarray(0, 5), wire.subarray(5)], async (client) => {
      assert.equal(Buffer.from(await client.readFrame(codec)).toString(), "one");
      assert.equal(Buffer.from(await client.readExactly(3)).toString(), "RAW");
      assert.equal(Buffer.from(await client.readUntil("\n")).toString(), "line\n");
      assert.equal(Buffer.from(await client.readFrame(codec)).toString(), "two");
    });
  });

  test("a frame read between two codecs' reads: each codec starts where the last read stopped", async () => {
    const text = lines();
    const binary = lengthPrefixed({ lengthBytes: 2 });
    const wire = Buffer.concat([Buffer.from("hel"), Buffer.from("lo\r\n"), encoded(binary, Buffer.from("bin")), Buffer.from("bye\n")]);
    await withPieces([wire.subarray(0, 3), wire.subarray(3, 9), wire.subarray(9)], async (client) => {
      assert.equal(Buffer.from(await client.readFrame(text)).toString(), "hello");
      assert.equal(Buffer.from(await client.readFrame(binary)).toString(), "bin");
      assert.equal(Buffer.from(await client.readFrame(text)).toString(), "bye");
    });
  });

  test("a frame read that times out takes nothing: the next read gets the whole frame", async () => {
    const codec = lines();
    let sendRest!: () => void;
    const server = await rawServer((socket) => {
      socket.write("partial ");
      sendRest = () => socket.write("line\n");
    });
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 0.15 });
    try {
      await assert.rejects(client.readFrame(codec), { code: "ERR_READ_TIMEOUT" });
      sendRest();
      assert.equal(Buffer.from(await client.readFrame(codec)).toString(), "partial line");
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("an aborted frame read takes nothing; readExactly then gets the same bytes", async () => {
    const codec = lengthPrefixed({ lengthBytes: 2 });
    await withPieces([Uint8Array.of(0, 10, 0x61, 0x62)], async (client) => {
      const controller = new AbortController();
      const read = client.readFrame(codec, { signal: controller.signal });
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the 4 bytes arrive (the read still waits for 10)
      controller.abort();
      await assert.rejects(read, { code: "ERR_ABORTED" });
      assert.deepEqual([...(await client.readExactly(4))], [0, 10, 0x61, 0x62]);
    });
  });

  test("ERR_FRAME_TOO_LONG rejects the read; the bytes stay for a plain read", async () => {
    const codec = lines({ maxLength: 8 });
    await withPieces([Buffer.from("far too long a line\nok\n")], async (client) => {
      await assert.rejects(client.readFrame(codec), (error: unknown) => {
        assert.ok(error instanceof TcpError);
        assert.equal(error.code, "ERR_FRAME_TOO_LONG");
        return true;
      });
      assert.equal(Buffer.from(await client.readUntil("\n")).toString(), "far too long a line\n");
      assert.equal(Buffer.from(await client.readFrame(codec)).toString(), "ok");
    });
  });

  test("a length field over maxLength is refused at once, before the payload arrives", async () => {
    const codec = lengthPrefixed({ lengthBytes: 4, maxLength: 1000 });
    await withPieces([Uint8Array.of(0, 1, 0, 0)], async (client) => {
      await assert.rejects(client.readFrame(codec), { code: "ERR_FRAME_TOO_LONG" });
      assert.deepEqual([...(await client.readExactly(4))], [0, 1, 0, 0]);
    });
  });

  test("a user codec that never gives up is stopped at maxLength + 64 KiB (the buffer stays bounded)", async () => {
    const endless: Codec<Uint8Array> = {
      maxLength: 1000,
      createDecoder: () => ({ decode: () => undefined }),
      encode: (frame) => frame,
    };
    const junk = Buffer.alloc(100_000, 0x78);
    await withPieces([junk], async (client) => {
      await assert.rejects(client.readFrame(endless), { code: "ERR_FRAME_TOO_LONG" });
    });
  });

  test("writeFrame sends the encoded frame in one write; a frame the codec refuses sends nothing", async () => {
    const codec = lengthPrefixed({ lengthBytes: 1, maxLength: 4 });
    let received!: Promise<Buffer>;
    const server = await rawServer((socket) => {
      received = new Promise((resolve) => {
        const chunks: Buffer[] = [];
        socket.on("data", (chunk: Buffer) => chunks.push(chunk));
        socket.on("end", () => resolve(Buffer.concat(chunks)));
      });
    });
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    try {
      await client.writeFrame(codec, Buffer.from("abc"));
      await assert.rejects(client.writeFrame(codec, Buffer.from("abcde")), { code: "ERR_FRAME_TOO_LONG" });
      await assert.rejects(client.writeFrame({} as Codec<Uint8Array>, Buffer.from("x")), { code: "ERR_INVALID_ARGUMENT" });
      await client.writeFrame(codec, Buffer.from(""));
      await client.shutdownWrite();
      assert.deepEqual([...(await received)], [3, 0x61, 0x62, 0x63, 0]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("for await ... of client.frames(codec) ends quietly when the peer closes between frames", async () => {
    const codec = lines();
    const server = await rawServer((socket) => socket.end("a\nb\r\nc\n"));
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    try {
      const seen: string[] = [];
      for await (const line of client.frames(codec)) seen.push(Buffer.from(line).toString());
      assert.deepEqual(seen, ["a", "b", "c"]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("frames(codec) throws a ConnectionClosedError when the peer closes in the middle of a frame", async () => {
    const codec = lines();
    const server = await rawServer((socket) => socket.end("a\nhalf a li"));
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    try {
      const seen: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const line of client.frames(codec)) seen.push(Buffer.from(line).toString());
        })(),
        (error: unknown) => {
          assert.ok(error instanceof ConnectionClosedError);
          assert.match(error.message, /^Connection closed by the server\. 9 bytes of an unfinished frame were left$/);
          return true;
        },
      );
      assert.deepEqual(seen, ["a"]);
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("readFrame after close() rejects with Socket connection already closed.", async () => {
    const server = await rawServer(() => {});
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5 });
    await client.close();
    await assert.rejects(client.readFrame(lines()), { message: "Socket connection already closed." });
    await server.close();
  });

  test("a read pending at close() rejects; readFrame with no codec is an ERR_INVALID_ARGUMENT", async () => {
    await withPieces([], async (client, server) => {
      await server.socket;
      await assert.rejects(client.readFrame(null as unknown as Codec<Uint8Array>), { code: "ERR_INVALID_ARGUMENT" });
      const pending = client.readFrame(lines());
      const closing = client.close();
      await assert.rejects(pending, { code: "ERR_SOCKET_CLOSED" });
      await closing;
    });
  });

  test("a frame larger than the client's highWaterMark still arrives whole (a pending read keeps reading)", async () => {
    const codec = lengthPrefixed({ lengthBytes: 4, maxLength: 4 * 1024 * 1024 });
    const big = Buffer.alloc(3 * 1024 * 1024, 0x5a);
    const server = await rawServer((socket) => socket.write(encoded(codec, big)));
    const client = await Client.connect("127.0.0.1", server.port, { timeout: 5, highWaterMark: 64 * 1024 });
    try {
      const frame = await client.readFrame(codec);
      assert.equal(frame.length, big.length);
      assert.ok(Buffer.from(frame).equals(big));
    } finally {
      await client.close();
      await server.close();
    }
  });

  test("client.frames works with a socket that sends one byte at a time", async () => {
    const codec = delimited(Uint8Array.of(0));
    const wire = Buffer.from("ab\0cd\0");
    await withPieces([...wire].map((b) => Uint8Array.of(b)), async (client) => {
      const seen: string[] = [];
      for await (const frame of client.frames(codec)) {
        seen.push(Buffer.from(frame).toString());
        if (seen.length === 2) break;
      }
      assert.deepEqual(seen, ["ab", "cd"]);
    });
  });
});
