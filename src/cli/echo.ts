/**
 * `tcpkit echo`: an echo server on the Listener that logs each connection's
 * arrival and departure.
 *
 * @module
 */
import { Listener, type Caller, type ListenerConfiguration } from "../index.js";
import { formatAddress, listenPort, type CommandSpec } from "./args.js";
import type { Command, CommandIo } from "./command.js";
import { serve, workersOption } from "./serve.js";
import { applyProxyProtocol, listenAddressOptions, proxyNote, proxyProtocolOption } from "./listen-flags.js";
import { listenerSecureSocket, listenerTlsOptions } from "./tls-flags.js";

const spec = {
  name: "echo",
  summary: "run an echo server that logs each connection",
  usage: "echo PORT|--port N [--host H] [--tls-cert FILE --tls-key FILE] [--proxy-protocol] [--workers N]",
  description:
    "An echo server: every byte a client sends comes back to it. Prints a line on stdout\n" +
    "when a connection arrives and when it leaves. With --tls-cert and --tls-key it speaks\n" +
    "TLS, and SIGHUP reads the two files again (new connections get the new certificate).\n" +
    "With --proxy-protocol it sits behind a load balancer and logs the client's address\n" +
    "from the PROXY header. With --workers N, N processes share the port. Ctrl-C stops it gracefully.",
  positionals: [],
  optionalPositionals: ["PORT"],
  options: {
    ...listenAddressOptions,
    ...listenerTlsOptions,
    ...proxyProtocolOption,
    ...workersOption,
  },
  examples: [
    "tcpkit echo --port 7000",
    "tcpkit echo --port 0 --host 127.0.0.1",
    "tcpkit echo --port 7443 --tls-cert server.crt --tls-key server.key",
    "tcpkit echo --port 7000 --workers 4",
    "tcpkit echo --port 7000 --proxy-protocol   # behind HAProxy send-proxy / nginx proxy_protocol on",
  ],
} as const satisfies CommandSpec;

/** The `echo` command. */
export const echoCommand: Command<typeof spec.options> = {
  spec,
  async run({ values, positionals }, io) {
    const port = listenPort(positionals[0], values.port);
    const config: ListenerConfiguration = values.host === undefined ? {} : { localHost: values.host };
    const secureSocket = listenerSecureSocket(values);
    if (secureSocket !== undefined) config.secureSocket = secureSocket;
    applyProxyProtocol(config, values);
    const start = async (): Promise<Listener> => {
      const listener = new Listener(port, config);
      listener.attach(echoService(io));
      await listener.start();
      return listener;
    };
    return serve({
      workers: values.workers,
      start,
      secureSocket: () => listenerSecureSocket(values),
      announce: (listener) => {
        const address = formatAddress(values.host ?? "*", listener.localPort);
        const where = values.workers === undefined ? "" : ` (worker ${process.pid})`;
        return `echo server listening on ${address}${secureSocket === undefined ? "" : " (TLS)"}${where}`;
      },
    }, io);
  },
};

/** `, TLSv1.3 TLS_AES_256_GCM_SHA384` (and the client's certificate, if it sent one); nothing over TCP. */
function tlsNote(caller: Caller): string {
  const tls = caller.tls;
  if (tls === undefined) return "";
  const subject = tls.peerCertificate?.subject;
  return `, ${tls.protocol} ${tls.cipher}${subject === undefined ? "" : `, client certificate ${subject}`}`;
}

function echoService(io: CommandIo): Parameters<Listener["attach"]>[0] {
  return {
    onConnect(caller) {
      const peer = formatAddress(caller.remoteHost, caller.remotePort);
      const startedAt = performance.now();
      let echoed = 0;
      io.stdout.write(`[${caller.id}] connected from ${peer}${proxyNote(caller)}${tlsNote(caller)}\n`);
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
