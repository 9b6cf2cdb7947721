/**
 * `tcpkit echo`: an echo server on the Listener that logs each connection's
 * arrival and departure.
 *
 * @module
 */
import { Listener, type ListenerConfiguration } from "../index.js";
import { ExitCode, formatAddress, parsePort, required, type CommandSpec } from "./args.js";
import { whenAborted, type Command, type CommandIo } from "./command.js";

const spec = {
  name: "echo",
  summary: "run an echo server that logs each connection",
  usage: "echo --port N [--host H]",
  description:
    "An echo server: every byte a client sends comes back to it. Prints a line on stdout\n" +
    "when a connection arrives and when it leaves. Ctrl-C stops it gracefully.",
  positionals: [],
  options: {
    port: { type: "string", short: "p", value: "N", description: "port to listen on (0 picks a free one)" },
    host: { type: "string", value: "H", description: "interface to bind (default: all)" },
  },
  examples: ["tcpkit echo --port 7000", "tcpkit echo --port 0 --host 127.0.0.1"],
} as const satisfies CommandSpec;

/** The `echo` command. */
export const echoCommand: Command<typeof spec.options> = {
  spec,
  async run({ values }, io) {
    const port = parsePort(required(values.port, "--port N"), "--port", 0);
    const config: ListenerConfiguration = values.host === undefined ? {} : { localHost: values.host };
    const listener = new Listener(port, config);
    listener.attach(echoService(io));
    await listener.start();
    io.stdout.write(`echo server listening on ${formatAddress(values.host ?? "*", listener.localPort)}\n`);
    await whenAborted(io.interrupt);
    io.stdout.write("stopping\n");
    await listener.gracefulStop();
    return ExitCode.ok;
  },
};

function echoService(io: CommandIo): Parameters<Listener["attach"]>[0] {
  return {
    onConnect(caller) {
      const peer = formatAddress(caller.remoteHost, caller.remotePort);
      const startedAt = performance.now();
      let echoed = 0;
      io.stdout.write(`[${caller.id}] connected from ${peer}\n`);
      return {
        onBytes(data) {
          echoed += data.length;
          return data;
        },
        onError(error) {
          io.stdout.write(`[${caller.id}] error: ${error.message}\n`);
        },
        onClose() {
          const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
          io.stdout.write(`[${caller.id}] ${peer} left after ${seconds} s, ${echoed} bytes echoed\n`);
        },
      };
    },
    onError(error) {
      io.stdout.write(`error: ${error.message}\n`);
    },
  };
}
