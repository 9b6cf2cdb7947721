/**
 * The shape of a `tcpkit` command and the terminal it runs against.
 *
 * @module
 */
import type { CommandSpec, OptionSpec, ParsedCommandLine } from "./args.js";

/** The process's streams, and a signal that fires on Ctrl-C (SIGINT) or SIGTERM. */
export interface CommandIo {
  readonly stdin: NodeJS.ReadableStream;
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly interrupt: AbortSignal;
}

/** One command: its command line and what it does; `run` resolves with the exit code. */
export interface Command<Options extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  readonly spec: CommandSpec<Options>;
  run(line: ParsedCommandLine<Options>, io: CommandIo): Promise<number>;
}

/**
 * Writes to a stream and resolves when it can take more: at once when the
 * write was buffered under its high-water mark, on `drain` otherwise (so a
 * slow terminal or pipe slows the socket down instead of filling memory).
 */
export function writeTo(stream: NodeJS.WritableStream, data: string | Uint8Array): Promise<void> {
  if (stream.write(data)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      stream.removeListener("drain", done);
      stream.removeListener("close", done);
      stream.removeListener("error", done);
      resolve();
    };
    stream.once("drain", done);
    stream.once("close", done);
    stream.once("error", done);
  });
}

/** Resolves when `signal` fires (at once if it already has). */
export function whenAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}

/** The message of anything thrown, for one line on stderr. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
