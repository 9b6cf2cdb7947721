/**
 * Options shared by the commands that listen (`echo`, `listen`, `udp listen`),
 * and the status lines that `--quiet` silences.
 *
 * @module
 */
import type { Caller, ListenerConfiguration } from "../index.js";
import { formatAddress } from "./args.js";
import type { CommandIo } from "./command.js";

/** `--port` and `--host`: where to listen. */
export const listenAddressOptions = {
  port: { type: "string", short: "p", value: "N", description: "port to listen on (0 picks a free one)" },
  host: { type: "string", value: "H", description: "interface to bind (default: all)" },
} as const;

/** `--proxy-protocol`: behind a load balancer that sends the PROXY protocol header. */
export const proxyProtocolOption = {
  "proxy-protocol": {
    type: "boolean",
    description: "expect a PROXY protocol header (v1 or v2) first, as HAProxy or nginx send it; show the client's address from it",
  },
} as const;

/** Turns on the PROXY protocol in `config` when `--proxy-protocol` was given. */
export function applyProxyProtocol(config: ListenerConfiguration, values: { "proxy-protocol"?: boolean }): void {
  if (values["proxy-protocol"] === true) config.proxyProtocol = true;
}

/** ` via 127.0.0.1:40000 (PROXY v1)`: the balancer a connection came through; nothing without one. */
export function proxyNote(caller: Caller): string {
  const proxy = caller.proxy;
  if (proxy === undefined) return "";
  const command = proxy.command === "LOCAL" ? " LOCAL" : proxy.source === undefined ? " without addresses" : "";
  return ` via ${formatAddress(proxy.via.host, proxy.via.port)} (PROXY v${proxy.version}${command})`;
}

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
