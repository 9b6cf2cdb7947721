/**
 * Child processes for the benchmark: spawned pinned to one core with
 * `taskset` (when it works), talking one JSON object per line on stdout,
 * and never outliving the runner (a child exits when its stdin closes).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";

/** Whether `taskset -c 0 true` works here (it may be missing, or pinning may be refused). */
export const canPin: boolean = (() => {
  const result = spawnSync("taskset", ["-c", "0", "true"], { stdio: "ignore" });
  return result.status === 0;
})();

/** The core each role runs on: the load and the measured code never share one. */
type Core = 0 | 1;

/** `command args` pinned to `core` when possible. */
function pinned(core: Core, command: string, args: readonly string[]): [string, string[]] {
  return canPin ? ["taskset", ["-c", String(core), command, ...args]] : [command, [...args]];
}

/** A child that speaks JSON lines; stdin stays open so that closing it tells the child to exit. */
export class JsonChild {
  readonly #child: ChildProcess;
  readonly #lines: string[] = [];
  readonly #waiters: Array<(line: string | undefined) => void> = [];
  readonly #exited: Promise<number | null>;
  #ended = false;
  #stderr = "";

  constructor(core: Core, command: string, args: readonly string[]) {
    const [cmd, argv] = pinned(core, command, args);
    this.#child = spawn(cmd, argv, { stdio: ["pipe", "pipe", "pipe"] });
    this.#child.stderr!.on("data", (chunk: Buffer) => {
      this.#stderr = (this.#stderr + chunk.toString("utf8")).slice(-4000);
    });
    this.#exited = new Promise((resolve) => this.#child.once("exit", (code) => resolve(code)));
    const lines = createInterface({ input: this.#child.stdout! });
    lines.on("line", (line) => {
      const waiter = this.#waiters.shift();
      if (waiter !== undefined) waiter(line);
      else this.#lines.push(line);
    });
    lines.once("close", () => {
      this.#ended = true;
      for (const waiter of this.#waiters.splice(0)) waiter(undefined);
    });
  }

  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** The next JSON line; rejects when the child ends first or `timeoutMs` passes. */
  async next<T>(timeoutMs = 120_000): Promise<T> {
    const queued = this.#lines.shift();
    const line =
      queued ??
      (this.#ended
        ? undefined
        : await new Promise<string | undefined>((resolve) => {
            const timer = setTimeout(() => {
              const at = this.#waiters.indexOf(settle);
              if (at !== -1) this.#waiters.splice(at, 1);
              resolve(undefined);
            }, timeoutMs);
            const settle = (value: string | undefined): void => {
              clearTimeout(timer);
              resolve(value);
            };
            this.#waiters.push(settle);
          }));
    if (line === undefined) throw new Error(`child ${this.pid} gave no answer; stderr: ${this.#stderr.trim()}`);
    try {
      return JSON.parse(line) as T;
    } catch {
      throw new Error(`child ${this.pid} printed a line that is not JSON: ${line}`);
    }
  }

  /** Sends one command line and returns the JSON answer. */
  async ask<T>(command: string, timeoutMs?: number): Promise<T> {
    this.#child.stdin!.write(`${command}\n`);
    return this.next<T>(timeoutMs);
  }

  /** Closes stdin (the child's signal to exit), then kills it if it lingers. */
  async stop(): Promise<void> {
    this.#child.stdin!.end();
    const timer = setTimeout(() => this.#child.kill("SIGKILL"), 10_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** Whether `/bin/sh` is there to raise a child's open-file limit. */
const hasShell: boolean = spawnSync("/bin/sh", ["-c", "true"], { stdio: "ignore" }).status === 0;

/** The hard limit on open files (what a child can raise its soft limit to); undefined if unknown or unlimited. */
export function hardFileLimit(): number | undefined {
  if (!hasShell) return undefined;
  const out = spawnSync("/bin/sh", ["-c", "ulimit -Hn"], { encoding: "utf8" }).stdout.trim();
  const limit = Number(out);
  return Number.isSafeInteger(limit) && limit > 0 ? limit : undefined;
}

/**
 * This bench's compiled modules, run with the same node. The soft limit on
 * open files is raised to the hard limit first (`ulimit -n`): the idle suite
 * holds 10,000 connections in one process.
 */
export function nodeChild(core: Core, script: string, args: readonly string[], nodeFlags: readonly string[] = []): JsonChild {
  const path = new URL(script, import.meta.url).pathname;
  const argv = [process.execPath, ...nodeFlags, path, ...args];
  if (!hasShell) return new JsonChild(core, argv[0]!, argv.slice(1));
  const raise = 'ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"';
  return new JsonChild(core, "/bin/sh", ["-c", raise, ...argv]);
}

/** Calls `handle` with each line the runner writes to this child's stdin (trimmed). */
export function onStdinLines(handle: (line: string) => void): void {
  process.stdin.setEncoding("utf8");
  let buffered = "";
  process.stdin.on("data", (text: string) => {
    buffered += text;
    let newline: number;
    while ((newline = buffered.indexOf("\n")) !== -1) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      handle(line);
    }
  });
}

/** Makes a child exit when the runner closes its stdin (or dies). */
export function exitWhenStdinCloses(cleanup: () => void = () => {}): void {
  process.stdin.on("end", () => {
    cleanup();
    process.exit(0);
  });
  process.stdin.resume();
}

/** Prints one JSON line for the runner. */
export function reply(value: object): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
