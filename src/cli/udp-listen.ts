/**
 * `tcpkit udp listen`: print the datagrams that arrive on a port, and
 * optionally echo them.
 *
 * @module
 */
import { Listener, type ListenerConfiguration } from "../udp/index.js";
import { ExitCode, formatAddress, listenPort, parseCount, type CommandSpec } from "./args.js";
import { whenAborted, writeTo, type Command } from "./command.js";
import { HexDump } from "./hex-dump.js";
import { listenAddressOptions, quietOption, statusPrinter } from "./listen-flags.js";

const spec = {
  name: "udp listen",
  summary: "print the UDP datagrams that arrive on a port (and echo them with --echo)",
  usage: "udp listen PORT|--port N [--host H] [--echo] [--count N] [--hex] [--quiet]",
  description:
    "Receives datagrams on port N and writes each payload to stdout, its sender and size to\n" +
    "stderr. --echo sends each datagram back to its sender. Runs until Ctrl-C (exit code 0),\n" +
    "or until --count datagrams have arrived.",
  positionals: [],
  optionalPositionals: ["PORT"],
  options: {
    ...listenAddressOptions,
    echo: { type: "boolean", short: "e", description: "send each datagram back to its sender" },
    count: { type: "string", short: "n", value: "N", description: "exit after N datagrams" },
    hex: { type: "boolean", short: "x", description: "show each datagram as a hex dump" },
    ...quietOption,
  },
  examples: ["tcpkit udp listen --port 9000", "tcpkit udp listen --port 9000 --echo --hex"],
} as const satisfies CommandSpec;

/** The `udp listen` command. */
export const udpListenCommand: Command<typeof spec.options> = {
  spec,
  async run({ values, positionals }, io) {
    const port = listenPort(positionals[0], values.port);
    const count = values.count === undefined ? Infinity : parseCount(values.count, "--count", Number.MAX_SAFE_INTEGER);
    const status = statusPrinter(io, values.quiet === true);
    let received = 0;
    let enough!: () => void;
    const finished = new Promise<void>((resolve) => (enough = resolve));
    const config: ListenerConfiguration = values.host === undefined ? {} : { localHost: values.host };
    const listener = new Listener(port, config);
    listener.attach({
      onDatagram: async (datagram) => {
        if (received >= count) return undefined; // arrived while stopping
        received++;
        status(`datagram from ${formatAddress(datagram.remoteHost, datagram.remotePort)}, ${datagram.data.length} bytes`);
        await writeTo(io.stdout, values.hex === true ? new HexDump().format(datagram.data) : datagram.data);
        if (received >= count) enough();
        return values.echo === true ? datagram.data : undefined;
      },
      onError: (error) => status(error.message),
    });
    await listener.start();
    io.stderr.write(`listening on udp ${formatAddress(values.host ?? "*", listener.localPort)}\n`);
    await Promise.race([finished, whenAborted(io.interrupt)]);
    await listener.gracefulStop(); // the reply to the last datagram still goes out
    return ExitCode.ok;
  },
};
