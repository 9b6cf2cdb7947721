/**
 * `runWorkers`: one call that is the primary in the primary process and the
 * worker in each worker process, so one script serves as both.
 *
 * @module
 */
import cluster from "node:cluster";
import { poolSettings, type RunWorkersOptions } from "./options.js";
import { WorkerPool } from "./pool.js";
import { runWorker, type WorkerHandle } from "./worker.js";

/**
 * Runs a listener on every core: the primary forks `workers` processes on
 * `node:cluster` (they run this same script, or what `cluster.setupPrimary`
 * names), and each runs `setup()`. Connections to the shared port are
 * handed out by the primary, round-robin (`node:cluster`'s default on every
 * platform but Windows; `NODE_CLUSTER_SCHED_POLICY=none` lets the kernel
 * choose instead).
 *
 * In the primary it resolves at once with the {@link WorkerPool}; a worker
 * that dies is replaced after a back-off, and a crash loop stops the pool.
 * With `manageProcess` (the default) SIGTERM/SIGINT make every worker
 * `gracefulStop()` and the process exits 0 when all are done (1 if one had
 * to be killed after `drainTimeout`, or after a crash loop).
 *
 * In a worker it resolves with a {@link WorkerHandle} once `setup()` has
 * resolved; if `setup()` fails, the worker exits with code 1 instead.
 *
 * Options are checked in both: a bad one rejects with a `TcpError` of code
 * `ERR_INVALID_ARGUMENT` that names it, before anything is forked.
 *
 * @example
 * ```ts
 * import { Listener } from "tcpkit";
 * import { runWorkers } from "tcpkit/cluster";
 *
 * await runWorkers({
 *   workers: 4,
 *   async setup() {
 *     const listener = new Listener(7000);
 *     listener.attach({ onConnect: () => ({ onBytes: (data) => data }) });
 *     await listener.start();
 *     return listener;
 *   },
 * });
 * ```
 */
export async function runWorkers(options: RunWorkersOptions): Promise<WorkerPool | WorkerHandle> {
  const settings = poolSettings(options);
  if (cluster.isWorker) return runWorker(settings);
  return new WorkerPool(settings);
}
