/**
 * A listener's count limits: their check at `start()`, and the per-host
 * count of open sockets behind `maxConnectionsPerHost`.
 *
 * @module
 */
import type { Socket } from "node:net";
import { positiveInteger } from "../core/units.js";

/** The unsent bytes per connection beyond which `Caller.writeBytes` refuses more, by default. */
export const DEFAULT_MAX_QUEUED_WRITE_BYTES = 64 * 1024 * 1024;

/** The count limits of a listener, checked. */
export interface ListenerLimits {
  readonly maxConnections: number | undefined;
  readonly maxConnectionsPerHost: number | undefined;
  readonly maxQueuedWriteBytes: number;
}

/** A positive integer limit, `undefined` when absent. */
function optionalLimit(value: unknown, field: string): number | undefined {
  return value === undefined ? undefined : positiveInteger(value, 0, field);
}

/** Checks the limits; a bad one is a `TcpError` with code `ERR_INVALID_ARGUMENT` naming it. */
export function listenerLimits(config: {
  maxConnections?: number | undefined;
  maxConnectionsPerHost?: number | undefined;
  maxQueuedWriteBytes?: number | undefined;
}): ListenerLimits {
  return {
    maxConnections: optionalLimit(config.maxConnections, "maxConnections"),
    maxConnectionsPerHost: optionalLimit(config.maxConnectionsPerHost, "maxConnectionsPerHost"),
    maxQueuedWriteBytes: positiveInteger(config.maxQueuedWriteBytes, DEFAULT_MAX_QUEUED_WRITE_BYTES, "maxQueuedWriteBytes"),
  };
}

/** Where a counted socket keeps its host, for the one shared close listener. */
const HOST = Symbol("tcpkit.countedHost");
type CountedSocket = Socket & { [HOST]?: string };

/**
 * Open sockets per remote host, each counted from its admission to its close.
 * Hosts with nothing open are forgotten, so the map holds only live peers.
 */
export class HostCounter {
  readonly max: number;
  readonly #open = new Map<string, number>();
  /** One close listener for every socket (a closure per socket is not needed). */
  readonly #onClose: (this: CountedSocket) => void;

  constructor(max: number) {
    this.max = max;
    const open = this.#open;
    this.#onClose = function (this: CountedSocket): void {
      const host = this[HOST]!;
      const count = open.get(host)! - 1;
      if (count === 0) open.delete(host);
      else open.set(host, count);
    };
  }

  /** Counts `socket` against `host` until it closes; `false` (nothing counted) when `host` is at the limit. */
  admit(host: string, socket: Socket): boolean {
    const count = this.#open.get(host) ?? 0;
    if (count >= this.max) return false;
    this.#open.set(host, count + 1);
    (socket as CountedSocket)[HOST] = host;
    socket.on("close", this.#onClose); // a socket closes once: `once` would only add a wrapper per socket
    return true;
  }

  /** Open sockets of `host` now. */
  count(host: string): number {
    return this.#open.get(host) ?? 0;
  }
}
