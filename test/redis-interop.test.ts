/**
 * The RESP codec of test/helpers/resp-codec.ts (written only against the
 * public Codec interface) against the real thing: a tcpkit client talking to
 * `redis-server`, and `redis-cli` talking to a tcpkit listener whose
 * `onFrame` answers RESP. Each process is bounded in time and awaited.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { Client, Listener } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { freePort } from "./helpers/peers.js";
import { startPeer, type Peer } from "./helpers/processes.js";
import { command, resp, type RespValue } from "./helpers/resp-codec.js";
import { requireTool } from "./helpers/tools.js";

checkLeaksAfterEachTest();

const codec = resp();
const bulk = (value: string | Uint8Array): RespValue => ({ type: "bulk", value: Buffer.from(value) });

describe("a tcpkit client with the RESP codec against redis-server", { skip: requireTool("redis-server") }, () => {
  let redis: Peer | undefined;
  let dir = "";
  let port = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "tcpkit-redis-"));
    port = await freePort();
    redis = startPeer(
      "redis-server",
      ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "notice"],
      { cwd: dir, timeoutMs: 120_000 },
    );
    await redis.waitFor(/Ready to accept connections/);
  });

  after(async () => {
    await redis?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test("PING, SET and GET of binary values with CR LF inside, INCR, an error reply, nested arrays", async () => {
    const client = await Client.connect("127.0.0.1", port, { timeout: 10 });
    try {
      await client.writeFrame(codec, command("PING"));
      assert.deepEqual(await client.readFrame(codec), { type: "simple", value: "PONG" });
      const value = Buffer.from([0x00, 0x0d, 0x0a, 0xff, 0x24, 0x2a, 0x0d, 0x0a]);
      await client.writeFrame(codec, { type: "array", value: [bulk("SET"), bulk("tcpkit:bin"), bulk(value)] });
      assert.deepEqual(await client.readFrame(codec), { type: "simple", value: "OK" });
      await client.writeFrame(codec, command("GET", "tcpkit:bin"));
      assert.deepEqual(await client.readFrame(codec), { type: "bulk", value: value });
      await client.writeFrame(codec, command("GET", "tcpkit:missing"));
      assert.deepEqual(await client.readFrame(codec), { type: "bulk", value: null });
      await client.writeFrame(codec, command("INCR", "tcpkit:n"));
      assert.deepEqual(await client.readFrame(codec), { type: "integer", value: 1 });
      await client.writeFrame(codec, command("INCR", "tcpkit:bin"));
      const error = await client.readFrame(codec);
      assert.equal(error.type, "error");
      await client.writeFrame(codec, command("RPUSH", "tcpkit:list", "a", "b"));
      assert.deepEqual(await client.readFrame(codec), { type: "integer", value: 2 });
      await client.writeFrame(codec, command("LRANGE", "tcpkit:list", "0", "-1"));
      assert.deepEqual(await client.readFrame(codec), { type: "array", value: [bulk("a"), bulk("b")] });
    } finally {
      await client.close();
    }
  });

  test("1000 pipelined commands: every reply, in order, however TCP cut them", async () => {
    const client = await Client.connect("127.0.0.1", port, { timeout: 10 });
    try {
      const count = 1000;
      const writes: Promise<void>[] = [];
      for (let i = 0; i < count; i++) writes.push(client.writeFrame(codec, command("ECHO", `message ${i} `.repeat(i % 7))));
      await Promise.all(writes);
      let i = 0;
      for await (const reply of client.frames(codec)) {
        assert.deepEqual(reply, bulk(`message ${i} `.repeat(i % 7)));
        if (++i === count) break;
      }
      assert.equal(i, count);
    } finally {
      await client.close();
    }
  });

  test("a 4 MiB value comes back whole, over many socket reads", async () => {
    const client = await Client.connect("127.0.0.1", port, { timeout: 10 });
    try {
      const big = Buffer.alloc(4 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
      await client.writeFrame(codec, { type: "array", value: [bulk("SET"), bulk("tcpkit:big"), bulk(big)] });
      assert.deepEqual(await client.readFrame(codec), { type: "simple", value: "OK" });
      await client.writeFrame(codec, command("GET", "tcpkit:big"));
      const reply = await client.readFrame(codec);
      assert.equal(reply.type, "bulk");
      assert.ok(Buffer.from((reply as { value: Uint8Array }).value).equals(big));
    } finally {
      await client.close();
    }
  });

  test("a reply over the codec's maxLength: ERR_FRAME_TOO_LONG, and the bytes stay readable", async () => {
    const client = await Client.connect("127.0.0.1", port, { timeout: 10 });
    try {
      await client.writeFrame(codec, command("SET", "tcpkit:k", "x".repeat(100)));
      await client.readFrame(codec);
      await client.writeFrame(codec, command("GET", "tcpkit:k"));
      await assert.rejects(client.readFrame(resp({ maxLength: 50 })), { code: "ERR_FRAME_TOO_LONG" });
      assert.deepEqual(await client.readFrame(codec), bulk("x".repeat(100)));
    } finally {
      await client.close();
    }
  });
});

describe("redis-cli against a tcpkit listener that answers RESP with onFrame", { skip: requireTool("redis-cli") }, () => {
  test("PING, ECHO, SET/GET and an unknown command, each a separate redis-cli run", async () => {
    const store = new Map<string, Uint8Array>();
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    listener.attach({
      onConnect: () => ({
        framing: codec,
        onFrame(frame: RespValue): RespValue {
          if (frame.type !== "array" || frame.value === null) return { type: "error", message: "ERR protocol" };
          const args = frame.value.map((v) => (v.type === "bulk" && v.value !== null ? Buffer.from(v.value) : Buffer.alloc(0)));
          const name = args[0]?.toString().toUpperCase();
          if (name === "PING") return { type: "simple", value: "PONG" };
          if (name === "ECHO") return bulk(args[1] ?? "");
          if (name === "SET") {
            store.set(args[1]!.toString(), args[2]!);
            return { type: "simple", value: "OK" };
          }
          if (name === "GET") return { type: "bulk", value: store.get(args[1]!.toString()) ?? null };
          return { type: "error", message: `ERR unknown command '${args[0]?.toString()}'` };
        },
      }),
    });
    await listener.start();
    const cli = async (...args: string[]): Promise<string> => {
      const peer = startPeer("redis-cli", ["-h", "127.0.0.1", "-p", String(listener.localPort), ...args], { cwd: tmpdir() });
      assert.equal(await peer.exited, 0, peer.stderr());
      return peer.stdout().trim();
    };
    try {
      assert.equal(await cli("PING"), "PONG");
      assert.equal(await cli("ECHO", "hello from redis-cli"), "hello from redis-cli");
      assert.equal(await cli("SET", "k", "v"), "OK");
      assert.equal(await cli("GET", "k"), "v");
      assert.match(await cli("FLUSHALL"), /ERR unknown command 'FLUSHALL'/);
    } finally {
      await listener.immediateStop();
    }
  });
});
