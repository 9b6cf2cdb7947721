/**
 * tcpkit/cluster: a listener on every core, on `node:cluster`. The primary
 * forks the workers, replaces those that die (with back-off, and stops on a
 * crash loop), and on SIGTERM/SIGINT drains them all (`gracefulStop()`).
 *
 * @module
 */
export { runWorkers } from "./run-workers.js";
export type { RunWorkersOptions, WorkerContext } from "./options.js";
export type { WorkerPool } from "./pool.js";
export type { WorkerExit, WorkerInfo, WorkerPoolEvents, WorkerReady } from "./pool.js";
export type { WorkerHandle } from "./worker.js";
