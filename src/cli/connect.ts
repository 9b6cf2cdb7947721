/**
 * `tcpkit connect`: stdin to the socket and the socket to stdout, like `nc`.
 *
 * @module
 */
import { Client, type ClientConfiguration } from "../index.js";
import { ExitCode, formatAddress, parsePort, parseSeconds, type CommandSpec } from "./args.js";
import { writeTo, type Command, type CommandIo } from "./command.js";
import { HexDump } from "./hex-dump.js";
import { clientSecureSocket, clientTlsOptions, describeTls, withTlsHint } from "./tls-flags.js";

const spec = {
  name: "connect",
  summary: "connect to a server: stdin to the socket, the socket to stdout",
  usage: "connect HOST PORT [--hex] [--verbose] [--tls] [--ca FILE] [--cert FILE --key FILE] [--insecure]",
  description:
    "Connects to HOST:PORT, sends what arrives on stdin and prints what the server sends.\n" +
    "At the end of stdin the sending side is shut down (the server sees end of stream) and\n" +
    "the command goes on printing until the server closes. Exit code 0 when the server\n" +
    "closes the connection, 1 when the connection fails or breaks, 130 after Ctrl-C.\n" +
    "With --tls (or any TLS option) it speaks TLS and verifies the server's certificate.",
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

/** Pumps both ways until the server closes, the connection breaks or Ctrl-C. */
async function relay(client: Client, io: CommandIo, hex: HexDump | undefined, verbose: boolean): Promise<number> {
  let failure: unknown;
  const fail = (error: unknown): void => {
    failure ??= error;
    void client.close();
  };
  const interrupted = (): void => void client.close();
  io.interrupt.addEventListener("abort", interrupted, { once: true });

  // Sending runs on its own; its end (stdin closed) only half-closes the socket.
  void (async () => {
    for await (const chunk of io.stdin) await client.writeBytes(chunk as Uint8Array);
    await client.shutdownWrite();
  })().catch(fail);

  try {
    for await (const chunk of client) {
      await writeTo(io.stdout, hex === undefined ? chunk : hex.format(chunk));
    }
  } catch (error) {
    failure ??= error;
  }
  // Once the server has closed, a send cut short by that close is no failure of ours.
  const outcome = failure;
  io.interrupt.removeEventListener("abort", interrupted);
  await client.close();
  if (io.interrupt.aborted) return ExitCode.interrupted;
  if (outcome !== undefined) throw outcome;
  if (verbose) io.stderr.write("connection closed by the server\n");
  return ExitCode.ok;
}
