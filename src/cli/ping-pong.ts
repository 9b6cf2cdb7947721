/**
 * The closed-loop load of `tcpkit bench`: each connection sends one message,
 * waits for the whole echo (and checks it), records the round trip, and
 * repeats, after an optional warm-up, until the time is up.
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
  readonly signal: AbortSignal;
  readonly progressIntervalMs: number;
  readonly onProgress: (progress: Progress) => void;
}

/** The figures of one progress interval. */
export interface Progress {
  /** Seconds since the start, warm-up included. */
  readonly elapsed: number;
  readonly warmingUp: boolean;
  readonly messagesPerSecond: number;
  readonly megabytesPerSecond: number;
}

/** What a run measured (after the warm-up only). */
export interface PingPongResult {
  /** Round trips completed in the measured window. */
  readonly messages: number;
  /** Length of the measured window. */
  readonly seconds: number;
  readonly latency: LatencyHistogram;
  /** Connections that failed (reset, closed, wrong echo) before the end. */
  readonly failedConnections: number;
  readonly firstError: unknown;
}

/** How long round trips still in flight at the end may take before their connections are closed. */
const FINISH_GRACE_MS = 2_000;

/** Runs the load on `clients` (all connected to an echo server); closes them at the end. */
export async function pingPong(clients: readonly Client[], options: PingPongOptions): Promise<PingPongResult> {
  const payload = Buffer.alloc(options.size);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff;
  const latency = new LatencyHistogram();
  const startedAt = performance.now();
  const measureFrom = startedAt + options.warmupMs;
  const measureUntil = measureFrom + options.durationMs;
  let stopping = false;
  let messages = 0;
  let intervalMessages = 0;
  let failedConnections = 0;
  let firstError: unknown;

  const roundTrips = async (client: Client): Promise<void> => {
    try {
      while (!stopping) {
        const sentAt = performance.now();
        // Read while writing: a message larger than the socket buffers echoes back before the write ends.
        const [, echo] = await Promise.all([client.writeBytes(payload), client.readExactly(payload.length)]);
        const receivedAt = performance.now();
        if (!payload.equals(echo)) throw new Error("the echo differs from the message sent");
        intervalMessages++;
        if (receivedAt >= measureFrom && receivedAt <= measureUntil) {
          messages++;
          latency.record((receivedAt - sentAt) * 1000);
        }
      }
    } catch (error) {
      if (stopping) return; // cut short by the closing below
      failedConnections++;
      firstError ??= error;
      await client.close();
    }
  };

  let lastTick = startedAt;
  const progress = setInterval(() => {
    const now = performance.now();
    const rate = (intervalMessages * 1000) / (now - lastTick);
    intervalMessages = 0;
    lastTick = now;
    options.onProgress({
      elapsed: (now - startedAt) / 1000,
      warmingUp: now < measureFrom,
      messagesPerSecond: rate,
      megabytesPerSecond: (rate * options.size) / 1e6,
    });
  }, options.progressIntervalMs);

  let endTimer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const timeUp = new Promise<void>((resolve) => {
    endTimer = setTimeout(resolve, options.warmupMs + options.durationMs);
    onAbort = resolve;
    options.signal.addEventListener("abort", onAbort, { once: true });
  });
  const workers = Promise.all(clients.map(roundTrips));
  try {
    await Promise.race([timeUp, workers]);
    stopping = true;
    const stoppedAt = performance.now();
    let graceTimer: NodeJS.Timeout | undefined;
    await Promise.race([workers, new Promise((resolve) => (graceTimer = setTimeout(resolve, FINISH_GRACE_MS)))]);
    clearTimeout(graceTimer);
    await Promise.all(clients.map((client) => client.close()));
    await workers;
    const seconds = Math.max(0, Math.min(stoppedAt, measureUntil) - measureFrom) / 1000;
    return { messages, seconds, latency, failedConnections, firstError };
  } finally {
    clearInterval(progress);
    clearTimeout(endTimer);
    options.signal.removeEventListener("abort", onAbort!);
  }
}
