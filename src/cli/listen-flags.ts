/**
 * Options shared by the commands that listen (`echo`, `listen`, `udp listen`),
 * and the status lines that `--quiet` silences.
 *
 * @module
 */
import type { CommandIo } from "./command.js";

/** `--port` and `--host`: where to listen. */
export const listenAddressOptions = {
  port: { type: "string", short: "p", value: "N", description: "port to listen on (0 picks a free one)" },
  host: { type: "string", value: "H", description: "interface to bind (default: all)" },
} as const;

/** `--quiet`: see {@link statusPrinter}. */
export const quietOption = {
  quiet: { type: "boolean", short: "q", description: "on stderr, only the line saying where it listens" },
} as const;

/** Prints a status line on stderr, unless `quiet`. */
export function statusPrinter(io: CommandIo, quiet: boolean): (line: string) => void {
  return (line) => {
    if (!quiet) io.stderr.write(`${line}\n`);
  };
}
