/**
 * `tcpkit udp send`: one datagram to a host, and optionally its reply.
 *
 * @module
 */
import { ConnectClient } from "../udp/index.js";
import { ExitCode, parsePort, parseSeconds, type CommandSpec } from "./args.js";
import { writeTo, type Command } from "./command.js";
import { HexDump } from "./hex-dump.js";

/** The largest UDP payload (over IPv6; IPv4's is 65507): stdin beyond it is counted, not kept. */
const MAX_PAYLOAD = 65_527;

const spec = {
  name: "udp send",
  summary: "send one UDP datagram (and wait for a reply with --reply)",
  usage: "udp send HOST PORT MESSAGE [--reply [--timeout S]] [--hex]",
  description:
    "Sends MESSAGE (UTF-8) to HOST:PORT as one datagram; MESSAGE '-' sends stdin, read to its end.\n" +
    "With --reply, waits for one datagram back from HOST:PORT and prints it on stdout;\n" +
    "exit code 1 when none comes within the time-out or the host refuses it.",
  positionals: ["HOST", "PORT", "MESSAGE"],
  options: {
    reply: { type: "boolean", short: "r", description: "wait for one datagram back and print it" },
    timeout: { type: "string", short: "t", value: "S", description: "seconds to wait for the reply (default 5)" },
    hex: { type: "boolean", short: "x", description: "show the reply as a hex dump" },
  },
  examples: ["tcpkit udp send 127.0.0.1 9000 'hello'", "tcpkit udp send 127.0.0.1 9000 ping --reply --timeout 2"],
} as const satisfies CommandSpec;

/** The `udp send` command. */
export const udpSendCommand: Command<typeof spec.options> = {
  spec,
  async run({ values, positionals }, io) {
    const [host, portText, message] = positionals as [string, string, string];
    const port = parsePort(portText, "PORT", 1);
    const timeout = parseSeconds(values.timeout ?? "5", "--timeout", 0.001, 86_400);
    const data = message === "-" ? await readStdin(io.stdin) : message;
    const reply = values.reply === true;
    const client = await ConnectClient.connect(host, port, { timeout: reply ? timeout : 0 });
    try {
      await client.writeBytes(data);
      if (reply) {
        const answer = await client.readBytes({ signal: io.interrupt });
        await writeTo(io.stdout, values.hex === true ? new HexDump().format(answer) : answer);
      }
    } finally {
      await client.close();
    }
    return ExitCode.ok;
  },
};

/**
 * All of stdin, read to its end before the size is judged (a datagram cannot
 * be sent in parts). Only what can fit in a datagram is kept in memory; past
 * that the bytes are counted, and the error gives their true number.
 */
async function readStdin(stdin: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stdin) {
    const bytes = chunk as Buffer;
    total += bytes.length;
    if (total <= MAX_PAYLOAD) chunks.push(bytes);
  }
  if (total > MAX_PAYLOAD) {
    throw new Error(`Datagram too large: stdin held ${total} bytes; the UDP maximum is 65507 bytes over IPv4, 65527 over IPv6`);
  }
  return Buffer.concat(chunks);
}
