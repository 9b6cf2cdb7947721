/**
 * `tcpkit listen`: accept connections, print what arrives, send stdin to
 * them, like `nc -l`.
 *
 * @module
 */
import { Listener, type Caller, type ListenerConfiguration, type Service } from "../index.js";
import { ExitCode, formatAddress, listenPort, type CommandSpec } from "./args.js";
import { whenAborted, writeTo, type Command, type CommandIo } from "./command.js";
import { HexDump } from "./hex-dump.js";
import { applyProxyProtocol, listenAddressOptions, proxyNote, proxyProtocolOption, quietOption, statusPrinter } from "./listen-flags.js";
import { listenerSecureSocket, listenerTlsOptions } from "./tls-flags.js";

const spec = {
  name: "listen",
  summary: "accept connections: what arrives to stdout, stdin to the connections",
  usage: "listen PORT|--port N [--host H] [--keep-open] [--hex] [--quiet] [--tls-cert FILE --tls-key FILE] [--proxy-protocol]",
  description:
    "Waits for a connection, prints the bytes it sends on stdout and sends it what arrives on\n" +
    "stdin. Without --keep-open it serves one connection and exits (code 0) when that one\n" +
    "closes; with --keep-open it serves any number, and stdin goes to all of them.\n" +
    "The end of stdin closes nothing: the command goes on printing. Status lines go to stderr.\n" +
    "With --tls-cert and --tls-key it speaks TLS. Ctrl-C stops it (exit code 0), and so does\n" +
    "a reader of stdout that goes away (tcpkit listen 7000 | head -1).",
  positionals: [],
  optionalPositionals: ["PORT"],
  options: {
    ...listenAddressOptions,
    "keep-open": { type: "boolean", short: "k", description: "accept more connections, and keep running" },
    hex: { type: "boolean", short: "x", description: "show received bytes as a hex dump" },
    ...quietOption,
    ...proxyProtocolOption,
    ...listenerTlsOptions,
  },
  examples: [
    "tcpkit listen 7000 > received.bin",
    "tcpkit listen --port 7000 --keep-open --hex",
    "tcpkit listen 7443 --tls-cert server.crt --tls-key server.key",
  ],
} as const satisfies CommandSpec;

/** The `listen` command. */
export const listenCommand: Command<typeof spec.options> = {
  spec,
  async run({ values, positionals }, io) {
    const port = listenPort(positionals[0], values.port);
    const keepOpen = values["keep-open"] === true;
    const status = statusPrinter(io, values.quiet === true);
    const config: ListenerConfiguration = keepOpen ? {} : { maxConnections: 1 };
    if (values.host !== undefined) config.localHost = values.host;
    applyProxyProtocol(config, values);
    const secureSocket = listenerSecureSocket(values);
    if (secureSocket !== undefined) config.secureSocket = secureSocket;
    const session = new ListenSession(io, status, keepOpen, values.hex === true);
    const listener = new Listener(port, config);
    listener.attach(session.service);
    await listener.start();
    io.stderr.write(`listening on ${formatAddress(values.host ?? "*", listener.localPort)}${secureSocket === undefined ? "" : " (TLS)"}\n`);
    await Promise.race([session.finished, whenAborted(io.interrupt)]);
    await listener.immediateStop();
    return ExitCode.ok; // Ctrl-C is the usual way to stop a server: no failure
  },
};

/** The connections of one `listen` run and the stdin they share. */
class ListenSession {
  readonly #io: CommandIo;
  readonly #status: (line: string) => void;
  readonly #keepOpen: boolean;
  readonly #hex: boolean;
  readonly #callers = new Set<Caller>();
  #served = 0;
  #stdinStarted = false;
  readonly finished: Promise<void>;
  #finish!: () => void;

  constructor(io: CommandIo, status: (line: string) => void, keepOpen: boolean, hex: boolean) {
    this.#io = io;
    this.#status = status;
    this.#keepOpen = keepOpen;
    this.#hex = hex;
    this.finished = new Promise((resolve) => (this.#finish = resolve));
  }

  readonly service: Service = {
    onConnect: (caller) => {
      const peer = formatAddress(caller.remoteHost, caller.remotePort);
      // Without --keep-open a second peer that slips in before the first left is turned away.
      if (!this.#keepOpen && this.#served > 0) return new Error(`refused ${peer}: already served a connection`);
      this.#served++;
      this.#callers.add(caller);
      const tls = caller.tls === undefined ? "" : `, ${caller.tls.protocol} ${caller.tls.cipher}`;
      this.#status(`connection from ${peer}${proxyNote(caller)}${tls}`);
      this.#startStdin();
      const dump = this.#hex ? new HexDump() : undefined;
      return {
        // Returning the write's promise pauses this socket while stdout is slow.
        onBytes: (data) => writeTo(this.#io.stdout, dump === undefined ? data : dump.format(data)),
        onError: (error) => this.#status(`${peer}: ${error.message}`),
        onClose: () => {
          this.#callers.delete(caller);
          this.#status(`${peer} closed`);
          if (!this.#keepOpen) this.#finish();
        },
      };
    },
    onError: (error) => this.#status(error.message),
  };

  /** Sends stdin to every open connection, from the first connection on. */
  #startStdin(): void {
    if (this.#stdinStarted) return;
    this.#stdinStarted = true;
    void (async () => {
      for await (const chunk of this.#io.stdin) {
        const sends = [...this.#callers].map((caller) => caller.writeBytes(chunk as Uint8Array).catch(() => {}));
        await Promise.all(sends);
      }
    })().catch((error: unknown) => this.#status(`stdin: ${String(error)}`));
  }
}
