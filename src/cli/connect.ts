/**
 * `tcpkit connect`: stdin to the socket and the socket to stdout, like `nc`.
 *
 * @module
 */
import { Client, type ClientConfiguration } from "../index.js";
import { ExitCode, formatAddress, parsePort, parseSeconds, type CommandSpec } from "./args.js";
import { messageOf, writeTo, type Command, type CommandIo } from "./command.js";
import { HexDump } from "./hex-dump.js";
import { clientSecureSocket, clientTlsOptions, describeTls, insecureWarning, withTlsHint } from "./tls-flags.js";

const spec = {
  name: "connect",
  summary: "connect to a server: stdin to the socket, the socket to stdout",
  usage:
    "connect HOST PORT [--hex] [--verbose] [--tls] [--ca FILE] [--cert FILE --key FILE]\n" +
    "                      [--servername NAME] [--alpn LIST] [--insecure]",
  description:
    "Connects to HOST:PORT, sends what arrives on stdin and prints what the server sends.\n" +
    "The two directions end on their own, as in ncat: at the end of stdin the sending side\n" +
    "is shut down (the server sees end of stream); after the server's end of stream all of\n" +
    "stdin is still sent. The command ends when both are done. Exit code 0 when every byte\n" +
    "of stdin was sent and the server closed its side, 1 when the connection fails or\n" +
    "breaks (or a byte of stdin could not be sent), 130 after Ctrl-C.\n" +
    "With --tls (or any TLS option) it speaks TLS and verifies the server's certificate;\n" +
    "--insecure (-k) skips that check entirely, as curl -k does, and says so on stderr.",
  positionals: ["HOST", "PORT"],
  options: {
    hex: { type: "boolean", short: "x", description: "show received bytes as a hex dump" },
    "connect-timeout": { type: "string", value: "S", description: "give up connecting after S seconds (default 30)" },
    verbose: { type: "boolean", short: "v", description: "say on stderr when connected (and how) and when closed" },
    ...clientTlsOptions,
  },
  examples: [
    "printf 'hello\\n' | tcpkit connect 127.0.0.1 7000",
    "tcpkit connect example.com 80 --hex < request.txt",
    "tcpkit connect localhost 7443 --ca ca.crt -v",
    "tcpkit connect 10.0.0.5 443 --servername example.com --alpn h2,http/1.1 -v",
  ],
} as const satisfies CommandSpec;

/** The `connect` command. */
export const connectCommand: Command<typeof spec.options> = {
  spec,
  async run({ values, positionals }, io) {
    const [host, portText] = positionals as [string, string];
    const port = parsePort(portText, "PORT", 1);
    const config: ClientConfiguration = { timeout: 0 };
    const secureSocket = clientSecureSocket(values);
    if (secureSocket !== undefined) config.secureSocket = secureSocket;
    if (values.insecure === true) io.stderr.write(insecureWarning("connect"));
    if (values["connect-timeout"] !== undefined) {
      config.connectTimeout = parseSeconds(values["connect-timeout"], "--connect-timeout", 0.001, 86_400);
    }
    const connectAbort = new AbortController();
    const stopConnecting = (): void => connectAbort.abort();
    io.interrupt.addEventListener("abort", stopConnecting, { once: true });
    let client: Client;
    try {
      client = await Client.connect(host, port, { ...config, signal: connectAbort.signal });
    } catch (error) {
      throw withTlsHint(error);
    } finally {
      io.interrupt.removeEventListener("abort", stopConnecting);
    }
    if (values.verbose === true) {
      const local = formatAddress(client.localHost, client.localPort);
      const tls = client.tls === undefined ? "" : `, ${describeTls(client.tls)}`;
      io.stderr.write(`connected to ${formatAddress(client.remoteHost, client.remotePort)} from ${local}${tls}\n`);
    }
    return relay(client, io, values.hex === true ? new HexDump() : undefined, values.verbose === true);
  },
};

/**
 * Pumps both ways. The two directions end on their own, as TCP's do: the
 * server's end of stream ends printing, the end of stdin sends our FIN. The
 * command ends when both have (or on a failure, or Ctrl-C), and fails when
 * any byte of stdin could not be sent.
 */
async function relay(client: Client, io: CommandIo, hex: HexDump | undefined, verbose: boolean): Promise<number> {
  let failure: unknown;
  // A failure or Ctrl-C ends the command without waiting for stdin (a terminal may never end).
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const fail = (error: unknown): void => {
    failure ??= error;
    stop();
    void client.close();
  };
  const interrupted = (): void => {
    stop();
    void client.close();
  };
  io.interrupt.addEventListener("abort", interrupted, { once: true });

  const sending = (async () => {
    let sent = 0;
    try {
      for await (const chunk of io.stdin) {
        await client.writeBytes(chunk as Uint8Array);
        sent += (chunk as Uint8Array).length;
      }
      await client.shutdownWrite();
    } catch (error) {
      throw new Error(`could not send all of stdin (${sent} bytes sent): ${messageOf(error)}`, { cause: error });
    }
  })().catch(fail);

  const receiving = (async () => {
    for await (const chunk of client) {
      await writeTo(io.stdout, hex === undefined ? chunk : hex.format(chunk));
    }
    if (verbose) io.stderr.write("connection closed by the server\n");
  })().catch(fail);

  await Promise.race([Promise.all([sending, receiving]), stopped]);
  io.interrupt.removeEventListener("abort", interrupted);
  await client.close();
  if (io.interrupt.aborted) return ExitCode.interrupted;
  if (failure !== undefined) throw failure;
  return ExitCode.ok;
}
