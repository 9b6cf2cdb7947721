/**
 * The options of `runWorkers`, and their check: every field is validated
 * before a process is forked, so a typo fails at once, in the primary.
 *
 * @module
 */
import { availableParallelism } from "node:os";
import { TcpError } from "../core/errors.js";
import type { Listener } from "../tcp/listener.js";

/** What a worker's `setup` is given. */
export interface WorkerContext {
  /** The `node:cluster` worker id (1, 2, ...; a replacement gets a new one). */
  readonly id: number;
  /**
   * Aborted when this worker is asked to stop (the primary's stop, or a
   * SIGTERM/SIGINT of its own), just before `listener.gracefulStop()`: long
   * handlers can listen to it to wind up instead of holding the drain.
   */
  readonly signal: AbortSignal;
}

/** Options of `runWorkers`. Times are in seconds; for time-outs `0` (or `Infinity`) means no limit. */
export interface RunWorkersOptions {
  /**
   * Runs in every worker: creates, attaches and **starts** a `Listener` and
   * resolves with it. A throw or rejection ends the worker (exit code 1) and
   * the primary replaces it.
   */
  setup: (worker: WorkerContext) => Promise<Listener>;
  /** Worker processes. @default os.availableParallelism() */
  workers?: number;
  /**
   * How long the workers may drain after a stop; a worker still running then
   * is killed (SIGKILL) and the stop ends with exit code 1. `0` waits forever.
   * @default 30
   */
  drainTimeout?: number;
  /** Wait before replacing the first worker that died; doubled for each further death within `restartWindow`. @default 0.1 */
  restartDelay?: number;
  /** The longest wait before a replacement. @default 5 */
  maxRestartDelay?: number;
  /**
   * Restarts allowed per worker within `restartWindow`; one death more is a
   * crash loop: the pool stops every worker and ends with exit code 1.
   * @default 5
   */
  maxRestarts?: number;
  /**
   * The window (s) in which deaths are counted; a worker that lived longer
   * than it starts again from `restartDelay`. `0` counts every death ever.
   * @default 60
   */
  restartWindow?: number;
  /**
   * Real use (`true`): the primary stops on SIGTERM/SIGINT (a second signal
   * kills the workers at once), prints a crash loop or a drain kill on
   * stderr and ends the process with the pool's exit code; workers drain on
   * their own SIGTERM/SIGINT too (Ctrl-C reaches the whole process group).
   * `false`: none of that; use the returned handle (embedding, tests).
   * @default true
   */
  manageProcess?: boolean;
}

/** The checked options, times in milliseconds (`0` = no limit for time-outs). */
export interface PoolSettings {
  readonly setup: RunWorkersOptions["setup"];
  readonly workers: number;
  readonly drainTimeoutMs: number;
  readonly restartDelayMs: number;
  readonly maxRestartDelayMs: number;
  readonly maxRestarts: number;
  readonly restartWindowMs: number;
  readonly manageProcess: boolean;
}

function invalid(message: string): TcpError {
  return new TcpError(message, { code: "ERR_INVALID_ARGUMENT" });
}

function positiveInteger(value: unknown, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== "number" || !Number.isInteger(chosen) || chosen < 1) {
    throw invalid(`${name} must be a positive integer, got ${String(chosen)}`);
  }
  return chosen;
}

/** A limit in seconds to ms: `>= 0`, with `0` and `Infinity` both meaning no limit (0). */
function limitMs(value: unknown, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== "number" || Number.isNaN(chosen) || chosen < 0) {
    throw invalid(`${name} must be a number of seconds >= 0, got ${String(chosen)}`);
  }
  return chosen === Infinity ? 0 : Math.round(chosen * 1000);
}

/** A delay in seconds to ms: finite and `>= 0` (an infinite delay would never restart). */
function delayMs(value: unknown, fallback: number, name: string): number {
  const chosen = value ?? fallback;
  if (typeof chosen !== "number" || !Number.isFinite(chosen) || chosen < 0) {
    throw invalid(`${name} must be a finite number of seconds >= 0, got ${String(chosen)}`);
  }
  return Math.round(chosen * 1000);
}

/** Checks `options`; throws a `TcpError` with code `ERR_INVALID_ARGUMENT` naming the bad field. */
export function poolSettings(options: RunWorkersOptions): PoolSettings {
  if (options === null || typeof options !== "object") throw invalid("runWorkers needs an options object");
  if (typeof options.setup !== "function") {
    throw invalid(`setup must be a function that starts a Listener, got ${typeof options.setup}`);
  }
  const manageProcess = options.manageProcess ?? true;
  if (typeof manageProcess !== "boolean") throw invalid(`manageProcess must be a boolean, got ${String(manageProcess)}`);
  return {
    setup: options.setup,
    workers: positiveInteger(options.workers, availableParallelism(), "workers"),
    drainTimeoutMs: limitMs(options.drainTimeout, 30, "drainTimeout"),
    restartDelayMs: delayMs(options.restartDelay, 0.1, "restartDelay"),
    maxRestartDelayMs: delayMs(options.maxRestartDelay, 5, "maxRestartDelay"),
    maxRestarts: positiveInteger(options.maxRestarts, 5, "maxRestarts"),
    restartWindowMs: limitMs(options.restartWindow, 60, "restartWindow"),
    manageProcess,
  };
}
