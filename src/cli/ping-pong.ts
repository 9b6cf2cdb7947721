/**
 * The closed-loop (ping-pong) load of `tcpkit bench`, also the one the
 * repository's benchmark (`bench/`) runs: each connection sends one message,
 * waits for the whole echo (and checks it), records the round trip, and
 * repeats, after an optional warm-up, until the time is up.
 *
 * The run (time window, counts, latency histogram, progress, the end) is
 * written once here; what a connection does per round trip is a
 * {@link PingPongConnection}: {@link clientConnection} for a tcpkit `Client`,
 * and the benchmark's hand-written `node:net` loop for its baseline.
 *
 * @module
 */
import type { Client } from "../index.js";
import { LatencyHistogram } from "./histogram.js";

/** How a run goes; times in milliseconds. */
export interface PingPongOptions {
  readonly size: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** Stops the run early (the results so far are kept). */
  readonly signal?: AbortSignal;
  /** How often `onProgress` is called. @default 1000 */
  readonly progressIntervalMs?: number;
  readonly onProgress?: (progress: Progress) => void;
}

/** The figures of one progress interval. */
export interface Progress {
  /** Seconds since the start, warm-up included. */
  readonly elapsed: number;
  readonly warmingUp: boolean;
  readonly messagesPerSecond: number;
  readonly megabytesPerSecond: number;
}

/** What a run measured (after the warm-up only, except `totalMessages`). */
export interface PingPongResult {
  /** Round trips completed in the measured window. */
  readonly messages: number;
  /** Round trips completed from the start to the end, warm-up included (CPU time divides by this). */
  readonly totalMessages: number;
  /** Length of the measured window. */
  readonly seconds: number;
  readonly latency: LatencyHistogram;
  /** Connections that failed (reset, closed, wrong echo) before the end. */
  readonly failedConnections: number;
  readonly firstError: unknown;
}

/** What a connection's loop sees of the run. */
export interface PingPongRun {
  /** The message every round trip sends; the echo must equal it. */
  readonly payload: Buffer;
  /** True once the time is up: start no further round trip. */
  readonly stopping: boolean;
  /** Records one complete, checked round trip (`performance.now()` times). */
  record(sentAt: number, receivedAt: number): void;
}

/** One connection under load. */
export interface PingPongConnection {
  /**
   * Round trips until `run.stopping`, each recorded with `run.record`;
   * rejects when the connection fails or an echo differs from the payload.
   */
  roundTrips(run: PingPongRun): Promise<void>;
  /** Closes the connection, cutting a round trip in flight short. */
  close(): Promise<void>;
}

/**
 * Messages up to this size are written, then read: the echo waits in the
 * client's read buffer (1 MiB by default) until the read asks for it. A
 * larger one is read while it is written, since its echo can fill the socket
 * buffers before the write ends.
 */
const WRITE_THEN_READ_MAX_BYTES = 64 * 1024;

/**
 * A tcpkit `Client` under load: `writeBytes` and `readExactly`, awaited.
 *
 * @example
 * ```ts
 * const result = await pingPong([clientConnection(await Client.connect("127.0.0.1", 7000))], {
 *   size: 512, warmupMs: 0, durationMs: 1000,
 * });
 * ```
 */
export function clientConnection(client: Client): PingPongConnection {
  return {
    async roundTrips(run) {
      const { payload } = run;
      const writeThenRead = payload.length <= WRITE_THEN_READ_MAX_BYTES;
      while (!run.stopping) {
        const sentAt = performance.now();
        let echo: Uint8Array;
        if (writeThenRead) {
          await client.writeBytes(payload);
          echo = await client.readExactly(payload.length);
        } else {
          [, echo] = await Promise.all([client.writeBytes(payload), client.readExactly(payload.length)]);
        }
        const receivedAt = performance.now();
        if (!payload.equals(echo)) throw new Error("the echo differs from the message sent");
        run.record(sentAt, receivedAt);
      }
    },
    close: () => client.close(),
  };
}

/** How long round trips still in flight at the end may take before their connections are closed. */
const FINISH_GRACE_MS = 2_000;

/** Runs the load on `connections` (all connected to an echo server); closes them at the end. */
export async function pingPong(connections: readonly PingPongConnection[], options: PingPongOptions): Promise<PingPongResult> {
  const payload = Buffer.alloc(options.size);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  const latency = new LatencyHistogram();
  const startedAt = performance.now();
  const measureFrom = startedAt + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  let messages = 0;
  let totalMessages = 0;
  let intervalMessages = 0;
  let failedConnections = 0;
  let firstError: unknown;
  const run = {
    payload,
    stopping: false,
    record(sentAt: number, receivedAt: number): void {
      totalMessages++;
      intervalMessages++;
      if (receivedAt >= measureFrom && receivedAt <= measureUntil) {
        messages++;
        latency.record((receivedAt - sentAt) * 1000);
      }
    },
  };

  const drive = async (connection: PingPongConnection): Promise<void> => {
    try {
      await connection.roundTrips(run);
    } catch (error) {
      if (run.stopping) return; // cut short by the closing below
      failedConnections++;
      firstError ??= error;
      await connection.close();
    }
  };

  let lastTick = startedAt;
  const onProgress = options.onProgress;
  const progress =
    onProgress === undefined
      ? undefined
      : setInterval(() => {
          const now = performance.now();
          const rate = (intervalMessages * 1000) / (now - lastTick);
          intervalMessages = 0;
          lastTick = now;
          onProgress({
            elapsed: (now - startedAt) / 1000,
            warmingUp: now < measureFrom,
            messagesPerSecond: rate,
            megabytesPerSecond: (rate * options.size) / 1e6,
          });
        }, options.progressIntervalMs ?? 1000);

  let endTimer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeUp = new Promise<void>((resolve) => {
    endTimer = setTimeout(resolve, options.warmupMs + options.durationMs);
    onAbort = resolve;
    options.signal?.addEventListener("abort", onAbort, { once: true });
  });
  const workers = Promise.all(connections.map(drive));
  try {
    await Promise.race([timeUp, workers]);
    run.stopping = true;
    const stoppedAt = performance.now();
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([workers, new Promise((resolve) => (graceTimer = setTimeout(resolve, FINISH_GRACE_MS)))]);
    clearTimeout(graceTimer);
    await Promise.all(connections.map((connection) => connection.close()));
    await workers;
    const seconds = Math.max(0, Math.min(stoppedAt, measureUntil) - measureFrom) / 1000;
    return { messages, totalMessages, seconds, latency, failedConnections, firstError };
  } finally {
    clearInterval(progress);
    clearTimeout(endTimer);
    if (onAbort !== undefined) options.signal?.removeEventListener("abort", onAbort);
  }
}
