/**
 * Running a server command's listener: in this process, or in `--workers N`
 * processes on `tcpkit/cluster` (the primary only supervises; each worker
 * runs the same command line); on SIGHUP the TLS certificate files are read
 * again and swapped in (`updateSecureSocket`), in every worker. `main.ts`
 * owns SIGINT/SIGTERM (the command's `interrupt` signal), so the pool does
 * not manage the process.
 *
 * @module
 */
import cluster from "node:cluster";
import type { Listener, ListenerSecureSocket } from "../index.js";
import { runWorkers } from "../cluster/index.js";
import { ExitCode, parseCount } from "./args.js";
import { messageOf, whenAborted, type CommandIo } from "./command.js";

/** `--workers N`. */
export const workersOption = {
  workers: { type: "string", short: "w", value: "N", description: "serve from N processes sharing the port (node:cluster)" },
} as const;

/** What {@link serve} runs. */
export interface ServeOptions {
  /** `--workers`, unparsed; absent: one process. */
  readonly workers: string | undefined;
  /** Creates, attaches and starts the listener (in each worker with `--workers`). */
  readonly start: () => Promise<Listener>;
  /** Reads the TLS files again; `undefined` for plain TCP (SIGHUP then does nothing). */
  readonly secureSocket: () => ListenerSecureSocket | undefined;
  /** The line printed once listening; with workers, once per worker. */
  readonly announce: (listener: Listener) => string;
}

/** Serves until Ctrl-C / SIGTERM; resolves with the exit code. */
export async function serve(options: ServeOptions, io: CommandIo): Promise<number> {
  const workers = options.workers === undefined ? undefined : parseCount(options.workers, "--workers", 1024);
  if (workers === undefined) return serveHere(await options.start(), options, io);
  const pool = await runWorkers({ workers, setup: () => options.start(), manageProcess: false });
  // A worker runs this same command line: it serves until the primary tells it to stop (then it exits).
  if (pool.role === "worker") return serveHere(pool.listener, options, io);
  pool.on("exit", ({ pid, code, signal, restartIn, stopping }) => {
    if (!stopping) io.stderr.write(`worker ${pid} ended (${signal ?? `exit code ${String(code)}`})${restartIn === undefined ? "" : ", replacing it"}\n`);
  });
  pool.on("crashLoop", (error) => io.stderr.write(`${error.message}\n`));
  // SIGHUP reaches the primary (what `kill -HUP` names): pass it on to every worker.
  const reload = (): void => {
    for (const pid of pool.workers()) process.kill(pid, "SIGHUP");
  };
  process.on("SIGHUP", reload);
  try {
    const ended = await Promise.race([pool.finished, whenAborted(io.interrupt).then(() => undefined)]);
    const code = ended ?? (await pool.stop());
    return code === 0 ? ExitCode.ok : ExitCode.failure;
  } finally {
    process.removeListener("SIGHUP", reload);
  }
}

/** One listener in this process (the only one, or one worker's). */
async function serveHere(listener: Listener, options: ServeOptions, io: CommandIo): Promise<number> {
  io.stdout.write(`${options.announce(listener)}\n`);
  const reload = (): void => {
    let secureSocket: ListenerSecureSocket | undefined;
    try {
      secureSocket = options.secureSocket();
    } catch (error) {
      io.stderr.write(`certificate reload failed: ${messageOf(error)}\n`);
      return;
    }
    if (secureSocket === undefined) return;
    listener.updateSecureSocket(secureSocket).then(
      () => io.stdout.write(`certificates reloaded${cluster.isWorker ? ` (worker ${process.pid})` : ""}\n`),
      (error: unknown) => io.stderr.write(`certificate reload failed, the old ones stay: ${messageOf(error)}\n`),
    );
  };
  process.on("SIGHUP", reload);
  try {
    await whenAborted(io.interrupt);
    io.stdout.write("stopping\n");
    await listener.gracefulStop();
  } finally {
    process.removeListener("SIGHUP", reload);
  }
  return ExitCode.ok;
}
