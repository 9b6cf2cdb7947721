/**
 * The worker side of `runWorkers`: run `setup()`, tell the primary, and on
 * the stop message drain the listener and exit.
 *
 * @module
 */
import cluster from "node:cluster";
import { TcpError } from "../core/errors.js";
import type { Listener } from "../tcp/listener.js";
import { isClusterMessage, type ClusterMessage } from "./messages.js";
import type { PoolSettings, WorkerContext } from "./options.js";

/** What `runWorkers` resolves with in a worker. */
export interface WorkerHandle {
  readonly role: "worker";
  /** The `node:cluster` worker id. */
  readonly id: number;
  /** The started listener `setup()` returned. */
  readonly listener: Listener;
  /** Aborted when the worker starts to drain (see {@link WorkerContext.signal}). */
  readonly signal: AbortSignal;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Sends `message` to the primary, then calls `then` (also when the channel is already gone). */
function tellPrimary(message: Exclude<ClusterMessage, { type: "stop" }>, then: () => void = () => {}): void {
  if (process.send === undefined || !process.connected) {
    then();
    return;
  }
  process.send(message, undefined, {}, () => then());
}

/** Ends this worker: its exit code is what the primary sees. */
function exitWorker(code: 0 | 1, reason?: string): void {
  if (reason !== undefined) process.stderr.write(`tcpkit cluster: worker ${process.pid}: ${reason}\n`);
  process.exit(code);
}

function isListener(value: unknown): value is Listener {
  return (
    value !== null &&
    typeof value === "object" &&
    typeof (value as Listener).gracefulStop === "function" &&
    typeof (value as Listener).localPort === "number"
  );
}

/** Runs in a `cluster` worker; resolves once `setup()` has resolved (a failed setup exits the worker). */
export async function runWorker(settings: PoolSettings): Promise<WorkerHandle> {
  const id = cluster.worker?.id ?? 0;
  const controller = new AbortController();
  let listener: Listener | undefined;
  let stopRequested = false;

  const drain = async (): Promise<void> => {
    controller.abort(new TcpError("The worker is stopping", { code: "ERR_ABORTED" }));
    try {
      await listener!.gracefulStop();
    } catch (error) {
      exitWorker(1, `gracefulStop failed: ${describe(error)}`);
      return;
    }
    exitWorker(0);
  };
  // Stop requests may come while setup() runs: remembered, acted on once it has resolved.
  const requestStop = (): void => {
    if (stopRequested) return;
    stopRequested = true;
    if (listener !== undefined) void drain();
  };
  process.on("message", (message: unknown) => {
    if (isClusterMessage(message, "stop")) requestStop();
  });
  if (settings.manageProcess) {
    process.on("SIGTERM", requestStop);
    process.on("SIGINT", requestStop);
  }
  tellPrimary({ tcpkit: "cluster", type: "hello" });

  let started: unknown;
  try {
    started = await settings.setup({ id, signal: controller.signal } satisfies WorkerContext);
    if (!isListener(started)) throw new TcpError("setup must resolve with the started Listener", { code: "ERR_INVALID_ARGUMENT" });
  } catch (error) {
    const reason = `setup failed: ${describe(error)}`;
    tellPrimary({ tcpkit: "cluster", type: "setup-failed", message: reason }, () => exitWorker(1, reason));
    // The process exits as soon as the primary has the message; nothing below must run.
    return new Promise<never>(() => {});
  }
  listener = started;
  if (stopRequested) void drain();
  else tellPrimary({ tcpkit: "cluster", type: "ready", port: listener.localPort });
  return { role: "worker", id, listener, signal: controller.signal };
}
