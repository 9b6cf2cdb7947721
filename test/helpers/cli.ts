/**
 * Runs the real `tcpkit` command (`dist/src/cli/main.js ...`) as a child
 * process for tests, on the runtime the test runs under (Node, Bun or Deno).
 * Every child is awaited to its `close` (exit and stdio closed), and killed
 * when it overruns its time, so a test leaves no process or pipe behind.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { scriptCommand } from "./runtime.js";

/** The compiled entry point, next to this file in dist/. */
export const cliPath = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** How a finished command went. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** A running `tcpkit` process. */
export class CliProcess {
  readonly child: ChildProcess;
  readonly closed: Promise<CliResult>;
  #stdout: Buffer[] = [];
  #stderr = "";
  #watchers = new Set<() => void>();

  constructor(args: readonly string[]) {
    const [command, argv] = scriptCommand(cliPath, args);
    const child = spawn(command, argv, { stdio: ["pipe", "pipe", "pipe"] });
    this.child = child;
    child.stdin!.on("error", () => {}); // the command may exit before reading all of it
    child.stdout!.on("data", (chunk: Buffer) => {
      this.#stdout.push(chunk);
      this.#notify();
    });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (chunk: string) => {
      this.#stderr += chunk;
      this.#notify();
    });
    this.closed = new Promise((resolve) => {
      child.once("close", (code, signal) => {
        this.#notify();
        resolve({ code, signal, stdout: this.stdout, stderr: this.#stderr });
      });
    });
  }

  /** All stdout so far. */
  get stdout(): Buffer {
    return Buffer.concat(this.#stdout);
  }

  /** All stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Resolves with the first match of `pattern` in stdout or stderr (as
   * chosen); rejects if the process ends first or `timeoutMs` passes.
   */
  waitFor(pattern: RegExp, stream: "stdout" | "stderr", timeoutMs = 10_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const match = (stream === "stdout" ? this.stdout.toString("utf8") : this.#stderr).match(pattern);
        if (match !== null) finish(() => resolve(match));
        else if (this.child.exitCode !== null || this.child.signalCode !== null) {
          finish(() => reject(new Error(`tcpkit exited before ${stream} matched ${pattern}; stderr: ${this.#stderr}`)));
        }
      };
      const timer = setTimeout(() => {
        finish(() => reject(new Error(`no ${pattern} on ${stream} within ${timeoutMs} ms; stderr: ${this.#stderr}`)));
      }, timeoutMs);
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.#watchers.delete(check);
        settle();
      };
      this.#watchers.add(check);
      check();
    });
  }

  /** Sends `signal` and waits for the process to end (killing it if it has not after `timeoutMs`). */
  async stop(signal: NodeJS.Signals = "SIGTERM", timeoutMs = 10_000): Promise<CliResult> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.#signal(signal);
    return this.finish(timeoutMs);
  }

  /** Waits for the process to end on its own, killing it if it overruns `timeoutMs`. */
  async finish(timeoutMs = 10_000): Promise<CliResult> {
    const timer = setTimeout(() => this.#signal("SIGKILL"), timeoutMs);
    try {
      return await this.closed;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends `signal` by pid rather than `child.kill()`: after `kill()`, Deno's
   * ChildProcess reports the signal as the cause of the exit even when the
   * command handled it and exited with its own code, and sends no second signal.
   */
  #signal(signal: NodeJS.Signals): void {
    try {
      if (this.child.pid !== undefined) process.kill(this.child.pid, signal);
    } catch {
      // already gone
    }
  }

  #notify(): void {
    for (const watcher of [...this.#watchers]) watcher();
  }
}

/** Runs `tcpkit args...` with `input` on stdin (then end of stdin) to its end. */
export async function runCli(
  args: readonly string[],
  options: { input?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<CliResult> {
  const process = new CliProcess(args);
  process.child.stdin!.end(options.input ?? "");
  return process.finish(options.timeoutMs);
}

/** Starts `tcpkit echo` (with `extra` options) on a free loopback port and resolves with it and its port. */
export async function startEchoServer(...extra: string[]): Promise<{ server: CliProcess; port: number }> {
  const server = new CliProcess(["echo", "--port", "0", "--host", "127.0.0.1", ...extra]);
  try {
    const match = await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/, "stdout");
    return { server, port: Number(match[1]) };
  } catch (error) {
    await server.stop("SIGKILL");
    throw error;
  }
}
