/**
 * The part of a listener connection's state that few connections use while
 * they are open (a stop or a `caller.close()` awaited, STARTTLS, a greeting
 * frame, an idle time-out past a Node timer's range) or only at their end (the
 * linger timer of a close the server begins). It is made on first use: an
 * idle server's memory is mostly its per-connection objects, and these ten
 * fields, empty on almost every open connection, cost 80 bytes each.
 *
 * @module
 */
import type { TimerHandle } from "../core/clock.js";
import type { TlsInfo } from "../tls/tls-info.js";

/** A promise somebody waits for, with its resolver. */
export class Latch {
  readonly promise: Promise<void>;
  readonly resolve: () => void;

  constructor() {
    let resolve!: () => void;
    this.promise = new Promise<void>((settle) => (resolve = settle));
    this.resolve = resolve;
  }
}

/** An idle time-out past a Node timer's range, run as a chain of shorter socket time-outs. */
export interface LongIdle {
  /** The part armed now. */
  chunkMs: number;
  /** Idle time seen so far. */
  seenMs: number;
  /** The socket's bytes read + written when the last part ran out. */
  activity: number;
}

/** @internal */
export class RareConnectionState {
  /** Destroys the socket if the peer's FIN does not come within the linger time of a graceful close. */
  lingerTimer: TimerHandle | undefined = undefined;
  /** Resolves after `onClose` has run: made when a stop waits for it. */
  finished: Latch | undefined = undefined;
  /** Resolves when the socket has closed: made by `caller.close()`. */
  socketClosed: Latch | undefined = undefined;
  /** Set while `caller.startTls` runs: reading waits, writes wait for it. */
  upgrade: Promise<void> | undefined = undefined;
  /** What a STARTTLS handshake settled, taken when it completed (it stays readable after the close). */
  upgradedTls: TlsInfo | undefined = undefined;
  /**
   * Made when `caller.writeFrame` is called inside `onConnect` (a greeting):
   * it and the writes after it wait for the codec, in call order.
   */
  serviceKnown: Latch | undefined = undefined;
  longIdle: LongIdle | undefined = undefined;
}
