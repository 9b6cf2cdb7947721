/**
 * The command line shared by every `tcpkit` command: option specs that drive
 * both `util.parseArgs` and the `--help` text, the value parsers (ports,
 * counts, seconds, sizes, files) and the usage error they throw.
 *
 * @module
 */
import { accessSync, constants, statSync } from "node:fs";
import { parseArgs } from "node:util";

/** The exit codes of every command. */
export const ExitCode = {
  ok: 0,
  /** The network or the peer failed (connection refused, port in use, reset). */
  failure: 1,
  /** The command line is wrong. */
  usage: 2,
  /** Stopped by Ctrl-C (128 + SIGINT), as shells report it. */
  interrupted: 130,
} as const;

/**
 * A mistake on the command line. `main` prints its message on one line with a
 * pointer to `--help` and exits with code 2.
 */
export class UsageError extends Error {
  override name = "UsageError";
}

/** One option of a command. */
export interface OptionSpec {
  readonly type: "string" | "boolean";
  readonly short?: string;
  /** The value's placeholder in the help text (`N`, `FILE`, ...). */
  readonly value?: string;
  readonly description: string;
}

/** What a command looks like on the command line. */
export interface CommandSpec<Options extends Record<string, OptionSpec> = Record<string, OptionSpec>> {
  /** The words after `tcpkit` (`echo`, `udp send`). */
  readonly name: string;
  /** One line for the command list of `tcpkit --help`. */
  readonly summary: string;
  /** The synopsis after `Usage: tcpkit `. */
  readonly usage: string;
  /** A paragraph under the synopsis. */
  readonly description: string;
  /** The positional arguments, all required, in order. */
  readonly positionals: readonly string[];
  /** Positional arguments that may follow the required ones (`listen [PORT]`). */
  readonly optionalPositionals?: readonly string[];
  readonly options: Options;
  readonly examples?: readonly string[];
}

/** The parsed values: a string or boolean per option that was given. */
export type OptionValues<Options extends Record<string, OptionSpec>> = {
  [Name in keyof Options]?: Options[Name]["type"] extends "boolean" ? boolean : string;
};

/** The result of {@link parseCommandLine}; `help` is true when `--help` was asked for. */
export interface ParsedCommandLine<Options extends Record<string, OptionSpec>> {
  readonly help: boolean;
  readonly values: OptionValues<Options>;
  readonly positionals: readonly string[];
}

const helpOption: OptionSpec = { type: "boolean", short: "h", description: "show this help" };

/**
 * Parses `argv` (the words after the command name) against `spec`. Throws a
 * {@link UsageError} for an unknown option, a missing option value or a wrong
 * number of positional arguments; `--help` wins over every other mistake.
 */
export function parseCommandLine<Options extends Record<string, OptionSpec>>(
  spec: CommandSpec<Options>,
  argv: readonly string[],
): ParsedCommandLine<Options> {
  if (argv.some((word) => word === "--help" || word === "-h")) {
    return { help: true, values: {}, positionals: [] };
  }
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    options[name] = option.short === undefined ? { type: option.type } : { type: option.type, short: option.short };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(describeParseError(error));
  }
  const { positionals } = parsed;
  if (positionals.length < spec.positionals.length) {
    const missing = spec.positionals.slice(positionals.length).join(" ");
    throw new UsageError(`missing ${missing}`);
  }
  const most = spec.positionals.length + (spec.optionalPositionals?.length ?? 0);
  if (positionals.length > most) {
    throw new UsageError(`unexpected argument '${positionals[most]}'`);
  }
  return { help: false, values: parsed.values as OptionValues<Options>, positionals };
}

/** Turns a `parseArgs` error into one short line. */
function describeParseError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  // parseArgs quotes the option as '-p, --port <value>' or '--port'; keep the long name.
  const option = /'(?:-\w, )?(-{1,2}[^' ]+)/.exec(message)?.[1];
  if (option !== undefined) {
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option '${option}'`;
    if (/argument missing/.test(message)) return `option '${option}' needs a value`;
    if (/ambiguous/.test(message)) {
      return `option '${option}' needs a value (write ${option}=VALUE for a value that starts with '-')`;
    }
    if (/does not take an argument/.test(message)) return `option '${option}' takes no value`;
  }
  return message.split("\n")[0] ?? message;
}

/** The `--help` text of a command. */
export function formatHelp(spec: CommandSpec): string {
  const rows: Array<[string, string]> = [];
  for (const [name, option] of [...Object.entries(spec.options), ["help", helpOption] as const]) {
    const flag = `${option.short === undefined ? "    " : `-${option.short}, `}--${name}`;
    rows.push([option.value === undefined ? flag : `${flag} ${option.value}`, option.description]);
  }
  const width = Math.max(...rows.map(([flag]) => flag.length)) + 2;
  const lines = [
    `Usage: tcpkit ${spec.usage}`,
    "",
    spec.description,
    "",
    "Options:",
    ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}${text}`),
  ];
  if (spec.examples !== undefined && spec.examples.length > 0) {
    lines.push("", "Examples:", ...spec.examples.map((example) => `  ${example}`));
  }
  return `${lines.join("\n")}\n`;
}

/** The value of an option the command cannot do without. */
export function required(value: string | undefined, option: string): string {
  if (value === undefined) throw new UsageError(`missing ${option}`);
  return value;
}

/** A port number in `min..65535` (0 asks the system for a free port). */
export function parsePort(text: string, name: string, min: 0 | 1): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= min && port <= 65535)) {
    throw new UsageError(`${name} must be a number from ${min} to 65535, got '${text}'`);
  }
  return port;
}

/**
 * The port to listen on, given as the positional PORT or as `--port N` (not
 * both): a port number from 0 (a free one) to 65535.
 */
export function listenPort(positional: string | undefined, option: string | undefined): number {
  if (positional !== undefined && option !== undefined) throw new UsageError("give the port once: PORT or --port N");
  if (positional !== undefined) return parsePort(positional, "PORT", 0);
  return parsePort(required(option, "PORT (or --port N)"), "--port", 0);
}

/** A whole number in `1..max`. */
export function parseCount(text: string, name: string, max: number): number {
  const count = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(count >= 1 && count <= max)) {
    throw new UsageError(`${name} must be a whole number from 1 to ${max}, got '${text}'`);
  }
  return count;
}

/** Seconds, decimals allowed, in `min..max`. */
export function parseSeconds(text: string, name: string, min: number, max: number): number {
  const seconds = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= min && seconds <= max)) {
    throw new UsageError(`${name} must be a number of seconds from ${min} to ${max}, got '${text}'`);
  }
  return seconds;
}

const sizeUnits: Record<string, number> = { "": 1, b: 1, k: 1024, kib: 1024, m: 1024 * 1024, mib: 1024 * 1024 };

/** A byte count such as `512`, `16k` or `1m` (k and m are KiB and MiB), in `1..max`. */
export function parseSize(text: string, name: string, max: number): number {
  const match = /^(\d+)([a-z]*)$/i.exec(text);
  const unit = match === null ? undefined : sizeUnits[match[2]!.toLowerCase()];
  const size = match === null || unit === undefined ? Number.NaN : Number(match[1]) * unit;
  if (!(size >= 1 && size <= max)) {
    throw new UsageError(`${name} must be a size from 1 to ${max} bytes (k and m suffixes allowed), got '${text}'`);
  }
  return size;
}

/** `path` when it names a readable file; a usage error naming the option otherwise. */
export function readableFile(path: string, name: string): string {
  try {
    if (!statSync(path).isFile()) throw new Error("not a file");
    accessSync(path, constants.R_OK);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : "not a readable file";
    throw new UsageError(`cannot read ${name} '${path}': ${reason}`);
  }
  return path;
}

/**
 * `host:port`, with brackets around an IPv6 address; an IPv4 peer of a
 * dual-stack listener (`::ffff:127.0.0.1`) is shown as plain IPv4.
 */
export function formatAddress(host: string, port: number): string {
  const ipv4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(host)?.[1];
  if (ipv4 !== undefined) return `${ipv4}:${port}`;
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}
