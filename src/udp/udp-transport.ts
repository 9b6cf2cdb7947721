/**
 * The one place that creates UDP sockets: it resolves the local and remote
 * addresses first (a bad host name given to `dgram.bind` is an `'error'`
 * event that would crash the process), picks the address family, binds,
 * optionally connects, and hands back a ready socket. Address helpers for
 * sending (IPv4 over a dual-stack socket) live here too.
 *
 * @module
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import net from "node:net";
import { isValidPort } from "../core/units.js";

/** An IP version. */
export type IpFamily = 4 | 6;

/** The largest UDP payloads: 65535 minus the IP and UDP headers. */
export const MAX_UDP_PAYLOAD = { 4: 65_507, 6: 65_527 } as const;

/** What {@link openUdpSocket} needs. */
export interface UdpSocketOptions {
  /** The local interface (host name or IP); all interfaces when absent. */
  localHost?: string | undefined;
  /** The local port; 0 picks a free one. */
  localPort?: number | undefined;
  /** Connect the socket to this peer: only its datagrams arrive, sends go to it. */
  remote?: { readonly host: string; readonly port: number } | undefined;
}

/** A bound (and maybe connected) socket. */
export interface OpenUdpSocket {
  readonly socket: dgram.Socket;
  readonly family: IpFamily;
  /** An IPv6 wildcard socket that carries IPv4 too, as `::ffff:a.b.c.d`. */
  readonly dualStack: boolean;
  /** The connected peer's address, for a connected socket. */
  readonly remote: { readonly address: string; readonly port: number } | undefined;
}

/** An IP literal as is, or a host name looked up (in `family` when not 0). */
export async function resolveHost(host: string, family: 0 | IpFamily): Promise<{ address: string; family: IpFamily }> {
  if (typeof host !== "string" || host.length === 0) throw new TypeError("host must be a non-empty string");
  const literal = net.isIP(host);
  if (literal === 4 || literal === 6) {
    if (family !== 0 && literal !== family) throw new Error(`${host} is not an IPv${family} address`);
    return { address: host, family: literal };
  }
  const found = await lookup(host, { family });
  return { address: found.address, family: found.family === 6 ? 6 : 4 };
}

/** `::ffff:a.b.c.d` (IPv4 seen through a dual-stack socket) as `a.b.c.d`; other addresses as they are. */
export function normalizeAddress(address: string): string {
  if (address.startsWith("::ffff:")) {
    const v4 = address.slice(7);
    if (net.isIPv4(v4)) return v4;
  }
  return address;
}

/**
 * Where a datagram for `host` goes from `opened`: the address to pass to
 * `send` (IPv4 mapped into IPv6 on a dual-stack socket) and whether the path
 * is IPv4 (which sets the payload limit).
 */
export async function resolveDestination(
  host: string,
  opened: OpenUdpSocket,
): Promise<{ address: string; ipv4: boolean }> {
  return toDestination(await resolveHost(host, opened.dualStack ? 0 : opened.family), opened);
}

/**
 * {@link resolveDestination} without the wait, for an IP literal (every reply
 * to a sender): `undefined` for a host name. Throws for a literal of the
 * wrong family.
 */
export function literalDestination(host: string, opened: OpenUdpSocket): { address: string; ipv4: boolean } | undefined {
  const literal = net.isIP(host);
  if (literal === 0) return undefined;
  if (!opened.dualStack && literal !== opened.family) throw new Error(`${host} is not an IPv${opened.family} address`);
  return toDestination({ address: host, family: literal === 6 ? 6 : 4 }, opened);
}

function toDestination(found: { address: string; family: IpFamily }, opened: OpenUdpSocket): { address: string; ipv4: boolean } {
  if (opened.dualStack && found.family === 4) return { address: `::ffff:${found.address}`, ipv4: true };
  return { address: found.address, ipv4: found.family === 4 || normalizeAddress(found.address) !== found.address };
}

/**
 * Creates, binds and (with `remote`) connects a UDP socket. Rejects with the
 * underlying error (a failed lookup, `EADDRINUSE`, `EADDRNOTAVAIL`, ...),
 * leaving no socket open.
 */
export async function openUdpSocket(options: UdpSocketOptions): Promise<OpenUdpSocket> {
  const localPort = options.localPort ?? 0;
  if (!isValidPort(localPort, 0)) throw new RangeError(`local port must be an integer from 0 to 65535, got ${String(localPort)}`);
  const local = options.localHost === undefined ? undefined : await resolveHost(options.localHost, 0);
  let remote: { address: string; family: IpFamily; port: number } | undefined;
  if (options.remote !== undefined) {
    const { host, port } = options.remote;
    if (!isValidPort(port, 1)) throw new RangeError(`remote port must be an integer from 1 to 65535, got ${String(port)}`);
    remote = { ...(await resolveHost(host, local?.family ?? 0)), port };
  }
  const family = local?.family ?? remote?.family;
  if (family !== undefined) {
    const socket = await bind(family, local?.address ?? (family === 6 ? "::" : "0.0.0.0"), localPort);
    if (remote !== undefined) await connect(socket, remote.port, remote.address);
    const connected = remote === undefined ? undefined : { address: remote.address, port: remote.port };
    return { socket, family, dualStack: false, remote: connected };
  }
  // No address to go by: an IPv6 wildcard socket serves both families; a host without IPv6 gets IPv4.
  try {
    return { socket: await bind(6, "::", localPort, false), family: 6, dualStack: true, remote: undefined };
  } catch (error) {
    if (!isNoIpv6(error)) throw error;
    return { socket: await bind(4, "0.0.0.0", localPort), family: 4, dualStack: false, remote: undefined };
  }
}

function isNoIpv6(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === "EAFNOSUPPORT" || code === "EADDRNOTAVAIL" || code === "EPROTONOSUPPORT";
}

function bind(family: IpFamily, address: string, port: number, ipv6Only?: boolean): Promise<dgram.Socket> {
  const socket = dgram.createSocket({
    type: family === 6 ? "udp6" : "udp4",
    ...(ipv6Only === undefined ? {} : { ipv6Only }),
  });
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      socket.removeListener("listening", onListening);
      closeQuietly(socket);
      reject(error);
    };
    const onListening = (): void => {
      socket.removeListener("error", onError);
      resolve(socket);
    };
    socket.once("error", onError);
    socket.once("listening", onListening);
    socket.bind({ port, address, exclusive: true });
  });
}

function connect(socket: dgram.Socket, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // Until the caller wires its own handlers, an 'error' here must not go unheard.
    const onError = (error: Error): void => {
      closeQuietly(socket);
      reject(error);
    };
    socket.once("error", onError);
    socket.connect(port, address, (error?: Error) => {
      socket.removeListener("error", onError);
      if (error) {
        closeQuietly(socket);
        reject(error);
      } else {
        resolve();
      }
    });
  });
}

/** Closes `socket`, ignoring "not running" (a socket whose bind failed may be closed already). */
export function closeQuietly(socket: dgram.Socket, callback?: () => void): void {
  try {
    socket.close(callback);
  } catch {
    callback?.();
  }
}
