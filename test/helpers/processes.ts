/**
 * Third-party programs (openssl s_client / s_server) as test peers, each
 * bounded in time and always awaited, so no process outlives its test.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";

export interface Peer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first match of `pattern` on stdout (or stderr), failing if the process exits first. */
  waitFor(pattern: RegExp, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (null when killed) once the process and its pipes are closed. */
  readonly exited: Promise<number | null>;
  /** Kills the process if it still runs, and waits for it. */
  stop(): Promise<number | null>;
}

/** Starts `file` with `args`; it is killed after `timeoutMs` whatever happens. */
export function startPeer(file: string, args: readonly string[], options: { cwd: string; timeoutMs?: number }): Peer {
  const child = spawn(file, args, { cwd: options.cwd, timeout: options.timeoutMs ?? 15_000, stdio: "pipe" });
  const output = { stdout: "", stderr: "" };
  const listeners = new Set<() => void>();
  const notify = (): void => {
    for (const listener of listeners) listener();
  };
  child.stdout.setEncoding("utf8").on("data", (text: string) => {
    output.stdout += text;
    notify();
  });
  child.stderr.setEncoding("utf8").on("data", (text: string) => {
    output.stderr += text;
    notify();
  });
  child.stdin.on("error", () => {}); // the peer may exit before reading what we wrote
  let done = false;
  const exited = new Promise<number | null>((resolve, reject) => {
    child.once("error", (error) => {
      done = true;
      notify();
      reject(error);
    });
    child.once("close", (code) => {
      done = true;
      notify();
      resolve(code);
    });
  });

  return {
    child,
    stdout: () => output.stdout,
    stderr: () => output.stderr,
    waitFor(pattern, stream = "stdout") {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const match = output[stream].match(pattern);
          if (match !== null) {
            listeners.delete(check);
            resolve(match);
          } else if (done) {
            listeners.delete(check);
            reject(new Error(`${file} exited without printing ${pattern}; stdout: ${output.stdout}; stderr: ${output.stderr}`));
          }
        };
        listeners.add(check);
        check();
      });
    },
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
