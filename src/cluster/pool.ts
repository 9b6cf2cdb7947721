/**
 * The primary side of `runWorkers`: forks the workers, replaces those that
 * die (with back-off, giving up on a crash loop), and stops them all on
 * request, killing those that outlast the drain time-out.
 *
 * @module
 */
import cluster, { type Worker } from "node:cluster";
import { EventEmitter } from "node:events";
import { TcpError } from "../core/errors.js";
import { isClusterMessage, stopMessage } from "./messages.js";
import type { PoolSettings } from "./options.js";
import { RestartPolicy } from "./restart-policy.js";
import { realClock } from "../core/clock.js";

/** Calls `callback` after `ms` (any length, never early); returns the function that cancels it. */
function startTimer(ms: number, callback: () => void): () => void {
  const handle = realClock.setTimer(Math.max(0, ms), (run: () => void) => run(), callback);
  return () => realClock.clearTimer(handle);
}

/** A worker process of the pool. */
export interface WorkerInfo {
  /** The `node:cluster` worker id. */
  readonly id: number;
  readonly pid: number;
}

/** A worker whose `setup()` resolved: its listener accepts on `port`. */
export interface WorkerReady extends WorkerInfo {
  readonly port: number;
}

/** A worker process that ended. */
export interface WorkerExit extends WorkerInfo {
  /** Its exit code, or `null` when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Whether it ended during a stop of the pool (asked to), rather than dying. */
  readonly stopping: boolean;
  /** Seconds until its replacement is forked; absent when it is not replaced. */
  readonly restartIn?: number;
  /** Why its `setup()` failed, if it did. */
  readonly setupError?: string;
}

/** The events of a {@link WorkerPool}. */
export interface WorkerPoolEvents {
  /** A worker's listener is started. */
  ready: [worker: WorkerReady];
  /** A worker process ended. */
  exit: [worker: WorkerExit];
  /** Workers kept dying (code `ERR_CRASH_LOOP`): the pool stops every worker and ends with exit code 1. */
  crashLoop: [error: TcpError];
  /** Workers still running at the drain time-out, about to be killed. */
  drainTimeout: [workers: WorkerInfo[]];
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal !== null ? `killed by ${signal}` : `exit code ${String(code)}`;
}

/**
 * The primary's handle on its workers (what `runWorkers` resolves with in
 * the primary).
 *
 * @example
 * ```ts
 * const pool = await runWorkers({ workers: 2, setup, manageProcess: false });
 * if (pool.role === "primary") {
 *   pool.on("ready", ({ pid, port }) => console.log(`worker ${pid} on port ${port}`));
 *   // ...
 *   process.exitCode = await pool.stop(); // 0 when every worker drained in time
 * }
 * ```
 */
export class WorkerPool extends EventEmitter<WorkerPoolEvents> {
  readonly role = "primary";
  /**
   * Resolves with the pool's exit code once it has ended and no worker is
   * left: 0 after a stop in which every worker drained and exited 0; 1 after
   * a crash loop, a drain time-out, or a worker that failed while stopping.
   */
  readonly finished: Promise<number>;

  readonly #settings: PoolSettings;
  /** Workers whose process has not exited yet, by cluster id. */
  readonly #live = new Map<number, Worker>();
  /** Live workers that said hello: they will see a stop message (the others get it after their hello). */
  readonly #reachable = new Set<number>();
  /** Cancels of the replacements waiting out their back-off. */
  readonly #pendingRestarts = new Set<() => void>();
  #stopping = false;
  #exitCode = 0;
  #cancelDrainTimer: (() => void) | undefined;
  #resolveFinished!: (code: number) => void;
  readonly #onSignal = (): void => {
    if (this.#stopping) this.#killAll();
    else void this.stop();
  };

  /** Forks the workers; use `runWorkers`, which checks the options first. */
  constructor(settings: PoolSettings) {
    super();
    this.#settings = settings;
    this.finished = new Promise((resolve) => (this.#resolveFinished = resolve));
    if (settings.manageProcess) {
      process.on("SIGTERM", this.#onSignal);
      process.on("SIGINT", this.#onSignal);
    }
    for (let slot = 0; slot < settings.workers; slot++) this.#fork(new RestartPolicy(settings));
  }

  /** The pids of the worker processes running now. */
  workers(): number[] {
    return [...this.#live.values()].flatMap((worker) => (worker.process.pid === undefined ? [] : [worker.process.pid]));
  }

  /**
   * Asks every worker to `gracefulStop()` its listener and exit, replaces no
   * more, and resolves with the exit code (see {@link finished}) when all
   * have exited; a worker still running after `drainTimeout` is killed.
   * Idempotent.
   */
  stop(): Promise<number> {
    if (this.#stopping) return this.finished;
    this.#stopping = true;
    for (const cancel of this.#pendingRestarts) cancel();
    this.#pendingRestarts.clear();
    for (const [id, worker] of this.#live) if (this.#reachable.has(id)) this.#sendStop(worker);
    if (this.#settings.drainTimeoutMs > 0 && this.#live.size > 0) {
      this.#cancelDrainTimer = startTimer(this.#settings.drainTimeoutMs, this.#onDrainTimeout);
    }
    this.#finishIfDone();
    return this.finished;
  }

  #fork(policy: RestartPolicy): void {
    const worker = cluster.fork();
    const forkedAt = Date.now();
    const info = (): WorkerInfo => ({ id: worker.id, pid: worker.process.pid ?? -1 });
    let setupError: string | undefined;
    this.#live.set(worker.id, worker);
    worker.on("message", (message: unknown) => {
      if (isClusterMessage(message, "hello")) {
        this.#reachable.add(worker.id);
        if (this.#stopping) this.#sendStop(worker);
      } else if (isClusterMessage(message, "ready")) this.emit("ready", { ...info(), port: message.port });
      else if (isClusterMessage(message, "setup-failed")) setupError = message.message;
    });
    // IPC errors (a send to a worker that is exiting) are followed by its exit, handled there.
    worker.on("error", () => {});
    worker.once("exit", (code: number | null, signal: NodeJS.Signals | null) => {
      this.#live.delete(worker.id);
      this.#reachable.delete(worker.id);
      const exit = { ...info(), code, signal, stopping: this.#stopping, ...(setupError === undefined ? {} : { setupError }) };
      if (this.#stopping) {
        if (code !== 0) this.#exitCode = 1;
        this.emit("exit", exit);
        this.#finishIfDone();
        return;
      }
      const decision = policy.onDeath(Date.now());
      if (decision.restart) {
        const cancel = startTimer(decision.delayMs, () => {
          this.#pendingRestarts.delete(cancel);
          this.#fork(policy);
        });
        this.#pendingRestarts.add(cancel);
        this.emit("exit", { ...exit, restartIn: decision.delayMs / 1000 });
        return;
      }
      this.emit("exit", exit);
      const window = this.#settings.restartWindowMs;
      const lived = ((Date.now() - forkedAt) / 1000).toFixed(1);
      const error = new TcpError(
        `Crash loop: a worker died ${decision.deaths} times ${window > 0 ? `within ${window / 1000} s` : "in all"}` +
          ` (maxRestarts ${this.#settings.maxRestarts}); the last, pid ${exit.pid}, lived ${lived} s and ended with ` +
          `${describeExit(code, signal)}${setupError === undefined ? "" : ` (${setupError})`}. ` +
          "Stopping every worker; fix the cause and start again.",
        { code: "ERR_CRASH_LOOP" },
      );
      this.#exitCode = 1;
      if (this.#settings.manageProcess) process.stderr.write(`tcpkit cluster: ${error.message}\n`);
      this.emit("crashLoop", error);
      void this.stop();
    });
  }

  #sendStop(worker: Worker): void {
    // A worker that is dying already cannot take it; its exit is what counts.
    worker.send(stopMessage, undefined, () => {});
  }

  readonly #onDrainTimeout = (): void => {
    const left = [...this.#live.values()];
    const infos = left.map((worker) => ({ id: worker.id, pid: worker.process.pid ?? -1 }));
    if (this.#settings.manageProcess) {
      const seconds = this.#settings.drainTimeoutMs / 1000;
      process.stderr.write(`tcpkit cluster: still draining after ${seconds} s, killing worker(s) ${infos.map((w) => w.pid).join(", ")}\n`);
    }
    this.emit("drainTimeout", infos);
    this.#killAll();
  };

  /** Kills every worker still running (the drain time-out, or a second signal): the pool ends with 1. */
  #killAll(): void {
    for (const worker of this.#live.values()) {
      this.#exitCode = 1;
      worker.process.kill("SIGKILL");
    }
  }

  #finishIfDone(): void {
    if (!this.#stopping || this.#live.size > 0) return;
    this.#cancelDrainTimer?.();
    process.removeListener("SIGTERM", this.#onSignal);
    process.removeListener("SIGINT", this.#onSignal);
    const code = this.#exitCode;
    this.#resolveFinished(code);
    if (this.#settings.manageProcess) process.exit(code);
  }
}
