#!/usr/bin/env node
/**
 * The `tcpkit` command: picks the subcommand, parses its command line, runs
 * it, and turns whatever goes wrong into one line on stderr and an exit code
 * (2 for a wrong command line, 1 for a network failure), never a stack trace.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { ExitCode, UsageError, formatHelp, parseCommandLine } from "./args.js";
import { benchCommand } from "./bench.js";
import { messageOf, type Command, type CommandIo } from "./command.js";
import { connectCommand } from "./connect.js";
import { echoCommand } from "./echo.js";
import { listenCommand } from "./listen.js";
import { udpListenCommand } from "./udp-listen.js";
import { udpSendCommand } from "./udp-send.js";

const commands = [
  echoCommand,
  listenCommand,
  connectCommand,
  benchCommand,
  udpSendCommand,
  udpListenCommand,
] as readonly Command[];

function topLevelHelp(): string {
  const width = Math.max(...commands.map((command) => command.spec.name.length)) + 2;
  return [
    "Usage: tcpkit <command> [options]",
    "",
    "netcat-style tools built on the tcpkit library.",
    "",
    "Commands:",
    ...commands.map((command) => `  ${command.spec.name.padEnd(width)}${command.spec.summary}`),
    "",
    "Run 'tcpkit <command> --help' for the options of a command; 'tcpkit --version' for the version.",
    "",
  ].join("\n");
}

function version(): string {
  const packageJson = JSON.parse(readFileSync(new URL("../../../package.json", import.meta.url), "utf8")) as {
    version?: string;
  };
  return packageJson.version ?? "unknown";
}

/** The command named by the first words of `argv`, and the words after its name. */
function findCommand(argv: readonly string[]): { command: Command; rest: readonly string[] } | undefined {
  for (const command of commands) {
    const words = command.spec.name.split(" ");
    if (words.every((word, i) => argv[i] === word)) return { command, rest: argv.slice(words.length) };
  }
  return undefined;
}

/** The subcommands of a command group such as `udp` (none for other words). */
function subcommandsOf(group: string | undefined): string[] {
  return commands
    .filter((command) => command.spec.name.startsWith(`${group} `))
    .map((command) => command.spec.name.slice(`${group} `.length));
}

/** What is wrong with a command line that names no command. */
function whyNoCommand(argv: readonly string[]): string {
  const [first, second] = argv;
  if (first === undefined) return "missing command";
  const subcommands = subcommandsOf(first).join(", ");
  if (subcommands === "") return `unknown command '${first}'`;
  if (second === undefined || second.startsWith("-")) return `'${first}' needs a subcommand: ${subcommands}`;
  return `unknown command '${first} ${second}' (the ${first} commands: ${subcommands})`;
}

/** Ctrl-C or SIGTERM asks the command to stop; a second one ends the process at once. */
function interruptSignal(): AbortSignal {
  const controller = new AbortController();
  const onSignal = (): void => {
    if (controller.signal.aborted) process.exit(ExitCode.interrupted);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return controller.signal;
}

async function main(argv: readonly string[]): Promise<number> {
  const first = argv[0];
  if (first === "--help" || first === "-h" || first === "help") {
    process.stdout.write(topLevelHelp());
    return ExitCode.ok;
  }
  if (first === "--version" || first === "-V") {
    process.stdout.write(`tcpkit ${version()}\n`);
    return ExitCode.ok;
  }
  const found = findCommand(argv);
  if (found === undefined && subcommandsOf(first).length > 0 && (argv[1] === "--help" || argv[1] === "-h")) {
    process.stdout.write(topLevelHelp()); // `tcpkit udp --help`: the list shows the udp commands
    return ExitCode.ok;
  }
  if (found === undefined) {
    process.stderr.write(`tcpkit: ${whyNoCommand(argv)}\nTry 'tcpkit --help' for the list of commands.\n`);
    return ExitCode.usage;
  }
  const { command, rest } = found;
  const name = command.spec.name;
  const io: CommandIo = {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    interrupt: interruptSignal(),
  };
  try {
    const line = parseCommandLine(command.spec, rest);
    if (line.help) {
      process.stdout.write(formatHelp(command.spec));
      return ExitCode.ok;
    }
    return await command.run(line, io);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tcpkit ${name}: ${error.message}\nTry 'tcpkit ${name} --help' for more information.\n`);
      return ExitCode.usage;
    }
    if (io.interrupt.aborted) return ExitCode.interrupted;
    process.stderr.write(`tcpkit ${name}: ${messageOf(error)}\n`);
    return ExitCode.failure;
  }
}

/** Resolves once everything written so far to `stream` has been handed over. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/**
 * A reader that goes away (`tcpkit listen 7000 | head -1`: EPIPE) ends the
 * command quietly with exit code 0, as the output was taken as far as it was
 * wanted; any other failure of the stream is exit code 1.
 */
function onOutputError(error: NodeJS.ErrnoException): void {
  process.exit(error.code === "EPIPE" ? ExitCode.ok : ExitCode.failure);
}
process.stdout.on("error", onOutputError);
process.stderr.on("error", onOutputError);

const code = await main(process.argv.slice(2));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
// stdin may still be waiting for input nobody needs any more: end here.
process.exit(code);
