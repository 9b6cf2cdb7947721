/**
 * Events on `node:diagnostics_channel`, for logging and metrics without
 * dependencies. Publishing costs nothing while nobody subscribes.
 *
 * @example
 * ```ts
 * import diagnostics from "node:diagnostics_channel";
 * diagnostics.subscribe("tcpkit:listener:accept", (m) => console.log("accepted", m));
 * ```
 *
 * @module
 */
import diagnostics from "node:diagnostics_channel";

/** The channel names tcpkit publishes on. */
export const channels = {
  /** A client connected: `{ host, port, localHost, localPort }`. */
  clientConnect: diagnostics.channel("tcpkit:client:connect"),
  /** A listener accepted a connection: `{ id, remoteHost, remotePort }`. */
  listenerAccept: diagnostics.channel("tcpkit:listener:accept"),
  /** A listener connection closed: `{ id }`. */
  connectionClose: diagnostics.channel("tcpkit:connection:close"),
  /**
   * A listener's counters (`Listener.stats()`): `{ port, stats }`, published on
   * every `stats()` call, every `statsInterval` seconds, and when a stop finishes.
   */
  listenerStats: diagnostics.channel("tcpkit:listener:stats"),
  /** An error with nowhere else to go (a throwing `onError` or `onClose`, an unhandled socket error): `{ id?, error }`. */
  error: diagnostics.channel("tcpkit:error"),
} as const;

/**
 * Publishes the message `message(arg)` makes on `channel`, if anybody listens.
 * On a path run per connection, pass a function that captures nothing and
 * the value it needs as `arg`: a closure would be made on every call.
 */
export function publish(channel: diagnostics.Channel, message: () => object): void;
export function publish<A>(channel: diagnostics.Channel, message: (arg: A) => object, arg: A): void;
export function publish<A>(channel: diagnostics.Channel, message: (arg?: A) => object, arg?: A): void {
  if (channel.hasSubscribers) channel.publish(message(arg));
}
