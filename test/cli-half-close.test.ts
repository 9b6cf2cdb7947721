/**
 * `tcpkit connect` against a server that half-closes at once (as
 * `ncat -l P </dev/null` does): all of stdin still arrives, and the exit
 * code says whether it did.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { test } from "node:test";
import { CliProcess, runCli } from "./helpers/cli.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";

checkLeaksAfterEachTest();

/** A raw server that half-closes on connect (allowHalfOpen) and hashes what each connection sends. */
async function halfClosingHasher(greeting = ""): Promise<{
  port: number;
  /** sha256 and length of what each connection sent, once it ended. */
  digests: Promise<{ sha256: string; length: number }>[];
  sockets: Set<net.Socket>;
  close(): Promise<void>;
}> {
  const digests: Promise<{ sha256: string; length: number }>[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
    socket.end(greeting);
    const hash = createHash("sha256");
    let length = 0;
    digests.push(
      new Promise((resolve, reject) => {
        socket.on("data", (chunk: Buffer) => {
          hash.update(chunk);
          length += chunk.length;
        });
        socket.once("end", () => resolve({ sha256: hash.digest("hex"), length }));
        socket.once("error", reject);
      }),
    );
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    digests,
    sockets,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

test("connect sends all 50 MiB of stdin to a server that half-closed at once (sha256 equal)", { timeout: 120_000 }, async () => {
  const server = await halfClosingHasher("welcome\n");
  try {
    const input = randomBytes(50 * 1024 * 1024);
    const result = await runCli(["connect", "127.0.0.1", String(server.port)], { input, timeoutMs: 100_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.toString(), "welcome\n");
    const received = await server.digests[0]!;
    assert.equal(received.length, input.length);
    assert.equal(received.sha256, createHash("sha256").update(input).digest("hex"));
  } finally {
    await server.close();
  }
});

test("printf 'hello\\n' | tcpkit connect: the line arrives every time (10 runs)", { timeout: 120_000 }, async () => {
  const server = await halfClosingHasher();
  try {
    const expected = createHash("sha256").update("hello\n").digest("hex");
    for (let run = 0; run < 10; run++) {
      const result = await runCli(["connect", "127.0.0.1", String(server.port)], { input: "hello\n" });
      assert.equal(result.code, 0, `run ${run}: ${result.stderr}`);
      const received = await server.digests[run]!;
      assert.deepEqual(received, { sha256: expected, length: 6 }, `run ${run}`);
    }
  } finally {
    await server.close();
  }
});

test("connect exits 1 and says so when the server is gone before stdin is sent", { timeout: 60_000 }, async () => {
  // The server reads nothing and resets: what stdin still holds cannot be sent.
  const server = await halfClosingHasher("bye\n");
  const client = new CliProcess(["connect", "127.0.0.1", String(server.port)]);
  try {
    await client.waitFor(/bye\n/, "stdout");
    for (const socket of server.sockets) socket.resetAndDestroy();
    // Keep stdin coming until the command notices: the first writes may still be taken by the kernel.
    const block = Buffer.alloc(64 * 1024, 0x61);
    const feed = setInterval(() => client.child.stdin!.write(block), 5);
    let result;
    try {
      result = await client.finish(30_000);
    } finally {
      clearInterval(feed);
    }
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^tcpkit connect: .*(not|could not) (all )?sen[dt]|^tcpkit connect: .*(EPIPE|ECONNRESET|closed)/m);
    assert.doesNotMatch(result.stderr, /^\s+at /m);
  } finally {
    await client.stop("SIGKILL");
    await server.close();
  }
});
