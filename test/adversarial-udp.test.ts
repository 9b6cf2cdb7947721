/**
 * Adversarial tests of tcpkit/udp and the 1.2.0 UdpClient: a listener under a
 * flood of datagrams whose handler throws, rejects, returns errors and
 * replies; stops during the flood; receives given up at random (aborts,
 * time-outs) that must lose no datagram; gathering receives with time-outs in
 * between that must lose no byte.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Client, Listener, UdpError } from "../src/udp/index.js";
import { TcpError } from "../src/index.js";
import { checkLeaksAfterEachTest } from "./helpers/leaks.js";
import { rawUdpPeer } from "./helpers/udp-peers.js";
import { UdpClient } from "../src/socket/index.js";

checkLeaksAfterEachTest();

/** Records unhandled rejections and uncaught exceptions while `body` runs. */
async function noStrayErrors(body: () => Promise<void>): Promise<void> {
  const stray: unknown[] = [];
  const onStray = (error: unknown): void => void stray.push(error);
  process.on("unhandledRejection", onStray);
  process.on("uncaughtException", onStray);
  try {
    await body();
    // Rejections are reported after the microtask queue drains.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.removeListener("unhandledRejection", onStray);
    process.removeListener("uncaughtException", onStray);
  }
  assert.deepEqual(stray, [], "unhandled errors escaped");
}

describe("udp under adversarial use", () => {
  it("a flood of datagrams at a listener whose handler throws, rejects, returns errors and replies: it keeps serving", async () => {
    await noStrayErrors(async () => {
      const errors: UdpError[] = [];
      let handled = 0;
      const listener = new Listener(0, { localHost: "127.0.0.1", maxQueuedDatagrams: 64 });
      listener.attach({
        async onBytes(data) {
          handled++;
          const kind = data[0]! % 5;
          if (kind === 0) throw new Error("thrown");
          if (kind === 1) return Promise.reject(new TypeError("rejected"));
          if (kind === 2) return new UdpError("returned");
          if (kind === 3) return data.subarray(0, 8); // a reply
          if (data.length > 1 && data[1] === 0xff) return { notADatagram: true } as never;
          return undefined;
        },
        onError(error) {
          errors.push(error);
          if (errors.length % 7 === 0) throw new Error("onError throws too");
        },
      });
      await listener.start();
      const flooders = await Promise.all([1, 2, 3, 4].map(() => rawUdpPeer("127.0.0.1")));
      const sent = 4 * 500;
      try {
        await Promise.all(
          flooders.map(async (peer, f) => {
            for (let i = 0; i < 500; i++) {
              const data = Buffer.alloc(1 + ((i * 13) % 300), i);
              data[0] = (i + f) % 256;
              if (i % 50 === 0) data[1] = 0xff;
              await peer.send(data, listener.localPort);
            }
          }),
        );
        for (const error of errors) assert.ok(error instanceof UdpError && error instanceof TcpError);
        // Still serving: a probe gets its reply (UDP may drop, so ask a few times).
        const probe = await Client.create({ localHost: "127.0.0.1", timeout: 0.5 });
        try {
          let reply: Uint8Array | undefined;
          for (let attempt = 0; attempt < 20 && reply === undefined; attempt++) {
            await probe.sendDatagram({ remoteHost: "127.0.0.1", remotePort: listener.localPort, data: Buffer.from([3, 1, 2, 3, 4, 5, 6, 7, 8, 9]) });
            reply = await probe.receiveDatagram().then(
              (d) => d.data,
              (error: UdpError) => {
                assert.equal(error.code, "ERR_READ_TIMEOUT");
                return undefined;
              },
            );
          }
          assert.deepEqual(Buffer.from(reply!), Buffer.from([3, 1, 2, 3, 4, 5, 6, 7]));
        } finally {
          await probe.close();
        }
        assert.ok(handled + listener.droppedDatagrams <= sent + 20);
        assert.ok(errors.some((e) => e.message === "thrown"));
        assert.ok(errors.some((e) => e.message === "rejected" && e.code === "ERR_HANDLER"));
        assert.ok(errors.some((e) => e.message === "returned"));
      } finally {
        await Promise.all(flooders.map((peer) => peer.close()));
        await listener.gracefulStop();
      }
    });
  });

  for (const stop of ["gracefulStop", "immediateStop"] as const) {
    it(`${stop} during a flood, with a slow async handler replying, resolves and leaves nothing behind`, async () => {
      await noStrayErrors(async () => {
        const listener = new Listener(0, { localHost: "127.0.0.1" });
        let inFlight = 0;
        let overlaps = 0;
        let markStarted!: () => void;
        const started = new Promise<void>((resolve) => (markStarted = resolve));
        listener.attach({
          async onDatagram(datagram) {
            if (inFlight++ > 0) overlaps++;
            markStarted();
            await new Promise((resolve) => setTimeout(resolve, 2));
            inFlight--;
            return datagram; // back to the sender
          },
        });
        await listener.start();
        const peer = await rawUdpPeer("127.0.0.1");
        const flood = (async () => {
          for (let i = 0; i < 300; i++) await peer.send(`datagram ${i}`, listener.localPort).catch(() => {});
        })();
        await started;
        await listener[stop]();
        await flood;
        await peer.close();
        assert.equal(overlaps, 0, "handlers overlapped");
      });
    });
  }

  it("receives given up at random (aborted, timed out) lose no datagram", async () => {
    const client = await Client.create({ localHost: "127.0.0.1", timeout: 0.002 });
    const peer = await rawUdpPeer("127.0.0.1");
    const count = 300;
    const received: string[] = [];
    try {
      const sending = (async () => {
        for (let i = 0; i < count; i++) {
          await peer.send(`d${i}`, client.localPort);
          // A timer turn lets the receiving socket be read: Deno does not poll I/O between
          // immediates, and the kernel drops what overflows the socket's receive buffer.
          if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      let round = 0;
      while (received.length < count) {
        round++;
        const controller = new AbortController();
        if (round % 5 === 0) controller.abort();
        const batch = [client.receiveDatagram({ signal: controller.signal }), client.receiveDatagram()];
        if (round % 3 === 0) queueMicrotask(() => controller.abort());
        for (const result of await Promise.allSettled(batch)) {
          if (result.status === "fulfilled") received.push(Buffer.from(result.value.data).toString());
          else {
            assert.ok(result.reason instanceof UdpError, `not a UdpError: ${String(result.reason)}`);
            assert.ok(["ERR_ABORTED", "ERR_READ_TIMEOUT"].includes(result.reason.code), result.reason.message);
          }
        }
        assert.ok(round < 100_000);
      }
      await sending;
      assert.equal(received.length, count);
      assert.deepEqual(new Set(received), new Set(Array.from({ length: count }, (_, i) => `d${i}`)));
      assert.equal(client.droppedDatagrams, 0);
    } finally {
      await client.close();
      await peer.close();
    }
  });

  it("1.2.0 receiveFrom(length) with time-outs between datagrams loses no byte", async () => {
    const client = new UdpClient({ host: "127.0.0.1", port: 0 }, { readTimeoutInMillis: 3 });
    const peer = await rawUdpPeer("127.0.0.1");
    // The client's port: send it a datagram first, from itself to the peer.
    await client.sendTo("hello", { host: "127.0.0.1", port: peer.port });
    const port = (await peer.next()).port;
    const payload = Buffer.from(Array.from({ length: 4000 }, (_, i) => i % 251));
    const gathered: Buffer[] = [];
    try {
      const sending = (async () => {
        for (let offset = 0; offset < payload.length; offset += 97) {
          await peer.send(payload.subarray(offset, offset + 97), port);
          if ((offset / 97) % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
        }
      })();
      let total = 0;
      for (let i = 0; total < payload.length; i++) {
        const want = Math.min(payload.length - total, 1 + ((i * 37) % 500));
        const result = await client.receiveFrom(want).then(
          (r) => r,
          (error: TcpError) => {
            assert.equal(error.code, "ERR_READ_TIMEOUT", error.message);
            return undefined;
          },
        );
        if (result === undefined) continue;
        assert.equal(result[1], want);
        gathered.push(Buffer.from(result[0]));
        total += result[1];
      }
      await sending;
      assert.equal(Buffer.compare(Buffer.concat(gathered), payload), 0);
    } finally {
      await client.close();
      await peer.close();
    }
  });
});
