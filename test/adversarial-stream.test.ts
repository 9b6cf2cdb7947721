/**
 * Adversarial, property-based tests of the byte stream through real loopback
 * sockets: random data in random chunks, read back with a random mix of
 * readBytes / readExactly / readUntil, some of them concurrent, aborted before
 * they start, aborted or timed out a moment later. Whatever the mix, the bytes
 * the successful reads return are exactly the bytes sent, in order, and no
 * read hangs while the bytes it needs are buffered.
 */
import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { describe, it } from "node:test";
import fc from "fast-check";
import { Client, Listener, TcpError } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawServer } from "./helpers/peers.js";
import { StreamReader } from "../src/core/stream-reader.js";
import { Client as SocketClient } from "../src/socket/index.js";

checkLeaksAfterEachTest();

const DELIMITERS = [Buffer.from([10]), Buffer.from([1, 2]), Buffer.from([3, 3, 3])];

type Abort = "none" | "before" | "soon";
/** `soonMs`: when an abort "soon" fires, drawn by fast-check (not Math.random) so a failing seed replays the same run. */
type Op =
  | { kind: "bytes"; abort: Abort; soonMs: number; batch: boolean }
  | { kind: "exactly"; n: number; abort: Abort; soonMs: number; batch: boolean }
  | { kind: "until"; delimiter: number; maxLength: number; abort: Abort; soonMs: number; batch: boolean };

const abortArb = fc.constantFrom<Abort>("none", "none", "none", "before", "soon");
const soonMsArb = fc.integer({ min: 0, max: 2 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("bytes" as const), abort: abortArb, soonMs: soonMsArb, batch: fc.boolean() }),
  fc.record({ kind: fc.constant("exactly" as const), n: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3000 })), abort: abortArb, soonMs: soonMsArb, batch: fc.boolean() }),
  fc.record({
    kind: fc.constant("until" as const),
    delimiter: fc.integer({ min: 0, max: DELIMITERS.length - 1 }),
    maxLength: fc.integer({ min: 3, max: 4000 }),
    abort: abortArb,
    soonMs: soonMsArb,
    batch: fc.boolean(),
  }),
);

/** Bytes from a small alphabet, so every delimiter turns up now and then. */
const dataArb = fc
  .oneof(
    fc.array(fc.constantFrom(0, 1, 2, 3, 10, 65, 66), { minLength: 1, maxLength: 400 }),
    fc.array(fc.constantFrom(0, 1, 2, 3, 10, 65, 66), { minLength: 1, maxLength: 12_000 }),
  )
  .map((bytes) => Buffer.from(bytes));

/** Cut points of `data` into chunks, and whether the sender waits a turn after each. */
const chunkingArb = fc.array(fc.record({ size: fc.integer({ min: 1, max: 4096 }), pause: fc.boolean() }), {
  minLength: 1,
  maxLength: 40,
});

/** What the model expects of a read at position `p`, assuming every byte arrives. */
type Expectation = { outcome: "bytes"; length: number | undefined } | { outcome: "max-length" } | { outcome: "never" };

function expect(op: Op, data: Buffer, p: number): Expectation {
  const rest = data.length - p;
  switch (op.kind) {
    case "bytes":
      return rest > 0 ? { outcome: "bytes", length: undefined } : { outcome: "never" };
    case "exactly":
      return op.n <= rest ? { outcome: "bytes", length: op.n } : { outcome: "never" };
    case "until": {
      const delimiter = DELIMITERS[op.delimiter]!;
      const at = data.indexOf(delimiter, p);
      if (at !== -1 && at - p + delimiter.length <= op.maxLength) return { outcome: "bytes", length: at - p + delimiter.length };
      if (at !== -1 || rest >= op.maxLength) return { outcome: "max-length" };
      return { outcome: "never" };
    }
  }
}

/** A marker for the safety abort: a read still pending after this long hung. */
const HUNG = Symbol("hung");

interface Issued {
  op: Op;
  /** Whether an abort of this read is expected (asked for, or forced to end a read that might never finish). */
  mayAbort: boolean;
  result: Promise<{ ok: true; bytes: Buffer } | { ok: false; error: TcpError }>;
  cleanup: () => void;
}

function issue(client: Client, op: Op, forceAbort: boolean): Issued {
  const controller = new AbortController();
  const safety = setTimeout(() => controller.abort(HUNG), 1_500);
  let soon: NodeJS.Timeout | undefined;
  const abort = forceAbort && op.abort === "none" ? "soon" : op.abort;
  if (abort === "before") controller.abort("before");
  if (abort === "soon") soon = setTimeout(() => controller.abort("soon"), op.soonMs);
  const options = { signal: controller.signal };
  const read =
    op.kind === "bytes"
      ? client.readBytes(options)
      : op.kind === "exactly"
        ? client.readExactly(op.n, options)
        : client.readUntil(DELIMITERS[op.delimiter]!, { ...options, maxLength: op.maxLength });
  return {
    op,
    mayAbort: abort !== "none",
    result: read.then(
      (bytes) => ({ ok: true as const, bytes: Buffer.from(bytes) }),
      (error: unknown) => {
        assert.ok(error instanceof TcpError, `a read rejected with a non-TcpError: ${String(error)}`);
        return { ok: false as const, error };
      },
    ),
    cleanup: () => {
      clearTimeout(safety);
      clearTimeout(soon);
    },
  };
}

/** Checks one settled read against the model and returns the new position. */
function check(issued: Issued, settled: Awaited<Issued["result"]>, data: Buffer, p: number, timeouts: boolean): number {
  const { op } = issued;
  const expected = expect(op, data, p);
  if (!settled.ok) {
    const { error } = settled;
    assert.notEqual(error.cause, HUNG, `a ${op.kind} read at ${p}/${data.length} hung (expected ${expected.outcome})`);
    if (error.code === "ERR_ABORTED") {
      assert.ok(issued.mayAbort, "a read without abort was aborted");
      return p;
    }
    if (error.code === "ERR_READ_TIMEOUT") {
      assert.ok(timeouts, "a read timed out with no time-out set");
      return p;
    }
    assert.equal(error.code, "ERR_MAX_LENGTH", `unexpected ${error.code}: ${error.message}`);
    assert.equal(expected.outcome, "max-length", `ERR_MAX_LENGTH where the model expects ${expected.outcome}`);
    return p;
  }
  assert.equal(expected.outcome, "bytes", `a ${op.kind} read returned ${settled.bytes.length} bytes where the model expects ${expected.outcome}`);
  if (expected.outcome !== "bytes") return p;
  if (expected.length !== undefined) assert.equal(settled.bytes.length, expected.length, `${op.kind} returned the wrong length`);
  else assert.ok(settled.bytes.length > 0);
  assert.equal(Buffer.compare(settled.bytes, data.subarray(p, p + settled.bytes.length)), 0, `bytes at ${p} differ`);
  return p + settled.bytes.length;
}

/** The bytes a test's raw server sends, and the sizes of its writes (cycled); `pause` marks a wait after that write. */
interface ChunkedData {
  data: Buffer;
  chunking: { size: number; pause: boolean }[];
}

/**
 * Writes `data` to `socket` in the chunking's sizes, awaiting `pause()` after
 * the writes marked so. Resolves true when all was written, false when the
 * socket was destroyed first.
 */
async function writeChunked(socket: Socket, { data, chunking }: ChunkedData, pause: () => Promise<unknown>): Promise<boolean> {
  let offset = 0;
  for (let i = 0; offset < data.length; i++) {
    const { size, pause: waits } = chunking[i % chunking.length]!;
    if (socket.destroyed) return false;
    socket.write(data.subarray(offset, offset + size));
    offset += size;
    if (waits) await pause();
  }
  return true;
}

describe("byte stream properties on real sockets", () => {
  it("random chunkings read back with a random mix of reads give exactly the bytes sent, in order", async () => {
    let current: ChunkedData | undefined;
    const server = await rawServer((socket) => {
      void writeChunked(socket, current!, () => new Promise((resolve) => setImmediate(resolve)));
    });
    try {
      await fc.assert(
        fc.asyncProperty(dataArb, chunkingArb, fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.boolean(), async (data, chunking, ops, timeouts) => {
          current = { data, chunking };
          // With `timeouts`, a read time-out of 2 ms makes reads give up at random too.
          const client = await Client.connect("127.0.0.1", server.port, { timeout: timeouts ? 0.002 : 0 });
          try {
            let p = 0;
            let batch: Issued[] = [];
            const settleBatch = async (): Promise<void> => {
              for (const issued of batch) {
                const settled = await issued.result;
                issued.cleanup();
                p = check(issued, settled, data, p, timeouts);
              }
              batch = [];
            };
            /** How far the batch's reads can get at most, when all succeed; undefined when unknown. */
            let reach: number | undefined = p;
            for (const op of ops) {
              // A read that might never finish (whatever the reads before it in the batch do) is aborted, so the run ends.
              let mightHang = true;
              if (batch.length === 0) {
                const predicted = expect(op, data, p);
                mightHang = predicted.outcome === "never";
                // A read that fails or never finishes takes nothing.
                reach = predicted.outcome !== "bytes" ? p : predicted.length === undefined ? undefined : p + predicted.length;
              } else if (reach !== undefined && op.kind === "exactly") {
                // Reads before it take at most `reach - p` bytes.
                mightHang = reach + op.n > data.length;
                reach += op.n;
              } else {
                reach = undefined;
              }
              const issued = issue(client, op, mightHang);
              batch.push(issued);
              if (!op.batch) await settleBatch();
            }
            await settleBatch();
            // Whatever is left arrives whole and in order.
            while (p < data.length) {
              const rest = await client.readExactly(data.length - p).then(
                (bytes) => Buffer.from(bytes),
                (error: TcpError) => {
                  assert.equal(error.code, "ERR_READ_TIMEOUT");
                  return undefined;
                },
              );
              if (rest === undefined) continue;
              assert.equal(Buffer.compare(rest, data.subarray(p)), 0, "the rest differs");
              p = data.length;
            }
          } finally {
            await client.close();
          }
        }),
        { numRuns: 60 },
      );
    } finally {
      await server.close();
    }
  });

  it("a read behind an aborted or timed out read gets the bytes already buffered", async () => {
    // On the pure reader, so the bytes are surely buffered before the first read gives up.
    for (const giveUp of ["abort", "timeout"] as const) {
      const reader = new StreamReader({ highWaterMark: 1024, maxPendingReads: 8 });
      const controller = new AbortController();
      const first = reader.read({ kind: "exactly", length: 10 }, { timeoutMs: giveUp === "timeout" ? 5 : 0, signal: controller.signal });
      const second = reader.read({ kind: "exactly", length: 3 }, { timeoutMs: 0 });
      reader.push(Buffer.from("12345"));
      if (giveUp === "abort") controller.abort();
      await assert.rejects(first, { code: giveUp === "abort" ? "ERR_ABORTED" : "ERR_READ_TIMEOUT" });
      let timer: NodeJS.Timeout | undefined;
      const hung = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the read behind the ${giveUp} hung`)), 1_000)));
      try {
        assert.equal((await Promise.race([second, hung])).toString(), "123");
      } finally {
        clearTimeout(timer);
        reader.close(new TcpError("done"));
      }
      assert.equal(reader.buffered, 0);
    }
  });

  it("concurrent writes through an echo listener with a slow async onBytes come back whole and in order", async () => {
    let concurrent = 0;
    let overlaps = 0;
    const listener = new Listener(0, { localHost: "127.0.0.1" });
    listener.attach({
      onConnect: () => ({
        async onBytes(data) {
          if (concurrent++ > 0) overlaps++;
          if (data.length % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
          concurrent--;
          return data;
        },
      }),
    });
    await listener.start();
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.uint8Array({ minLength: 1, maxLength: 20_000 }), { minLength: 1, maxLength: 30 }), async (parts) => {
          const client = await Client.connect("127.0.0.1", listener.localPort, { timeout: 10 });
          try {
            const sent = Buffer.concat(parts);
            const writes = parts.map((part) => client.writeBytes(part));
            const echoed = client.readExactly(sent.length);
            await Promise.all(writes);
            assert.equal(Buffer.compare(Buffer.from(await echoed), sent), 0);
          } finally {
            await client.close();
          }
        }),
        { numRuns: 30 },
      );
      assert.equal(overlaps, 0, "onBytes ran concurrently on one connection");
    } finally {
      await listener.gracefulStop();
    }
  });

  it("1.2.0 read(length) with a 2 ms time-out, through random chunkings, gives exactly the bytes sent", async () => {
    let current: ChunkedData | undefined;
    const server = await rawServer((socket) => {
      void (async () => {
        if (await writeChunked(socket, current!, () => new Promise((resolve) => setTimeout(resolve, 1)))) socket.end();
      })();
    });
    try {
      await fc.assert(
        fc.asyncProperty(dataArb, chunkingArb, fc.array(fc.option(fc.integer({ min: 1, max: 3000 })), { minLength: 1, maxLength: 20 }), async (data, chunking, lengths) => {
          current = { data, chunking };
          const client = new SocketClient({ host: "127.0.0.1", port: server.port, readTimeoutInMillis: 2 });
          try {
            const parts: Buffer[] = [];
            for (let i = 0; ; i++) {
              const length = lengths[i % lengths.length] ?? undefined;
              const result = await client.read(length).then(
                (r) => r,
                (error: TcpError) => {
                  assert.equal(error.code, "ERR_READ_TIMEOUT", error.message);
                  return undefined;
                },
              );
              if (result === undefined) continue;
              const [bytes, count] = result;
              if (count <= 0) break;
              assert.equal(bytes.length, count);
              parts.push(Buffer.from(bytes));
            }
            assert.equal(Buffer.compare(Buffer.concat(parts), data), 0);
          } finally {
            await client.close();
          }
        }),
        { numRuns: 40 },
      );
    } finally {
      await server.close();
    }
  });
});
