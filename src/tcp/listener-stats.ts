/**
 * A listener's counters (SPEC §12). They cost an integer add per event
 * (accept, refusal, close, failed handshake), nothing per chunk: the byte
 * counts are the sockets' own, read when a connection ends and, for those
 * still open, when the figures are asked for.
 *
 * @module
 */

/**
 * What {@link Listener.stats} returns: counters since the last `start()`.
 *
 * @example
 * ```ts
 * const { connections, accepted, refused } = listener.stats();
 * console.log(`${connections} open, ${accepted} accepted, ${refused} refused`);
 * ```
 */
export interface ListenerStats {
  /** Connections open now: `accepted − closed`. */
  readonly connections: number;
  /** Connections handed to the service (after the TLS handshake and PROXY header, if any). */
  readonly accepted: number;
  /** Connections closed at once by a limit (`maxConnections`, `maxConnectionsPerHost`); never accepted. */
  readonly refused: number;
  /** Accepted connections that have ended (their `onClose` has run). */
  readonly closed: number;
  /** Payload bytes received from peers (after TLS decryption; without PROXY headers). */
  readonly bytesReceived: number;
  /** Payload bytes sent to peers (before TLS encryption). */
  readonly bytesSent: number;
  /** TLS handshakes that failed (refused or missing client certificate, no shared version or cipher, time-out, a plain-TCP peer). */
  readonly tlsHandshakeFailures: number;
  /** Connections refused for a bad, late or untrusted PROXY protocol header. */
  readonly proxyHeaderFailures: number;
}

/** What the counter reads of a connection: its socket's byte counts. */
export interface ByteCounts {
  readonly bytesRead: number;
  readonly bytesWritten: number;
}

/** The counters behind {@link ListenerStats}; the listener calls one method per event. */
export class StatsCounter {
  accepted = 0;
  refused = 0;
  closed = 0;
  tlsHandshakeFailures = 0;
  proxyHeaderFailures = 0;
  /** Bytes of the connections that have ended. */
  #bytesReceived = 0;
  #bytesSent = 0;

  /** An accepted connection ended: count it and keep its byte counts. */
  connectionEnded(connection: ByteCounts): void {
    this.closed++;
    this.#bytesReceived += connection.bytesRead;
    this.#bytesSent += connection.bytesWritten;
  }

  /**
   * PROXY protocol: `length` header bytes were read from a socket whose
   * `bytesRead` will include them; they are not payload.
   */
  headerRead(length: number): void {
    this.#bytesReceived -= length;
  }

  /** The figures now, with the byte counts of the connections still open. */
  snapshot(open: Iterable<ByteCounts>): ListenerStats {
    let bytesReceived = this.#bytesReceived;
    let bytesSent = this.#bytesSent;
    for (const connection of open) {
      bytesReceived += connection.bytesRead;
      bytesSent += connection.bytesWritten;
    }
    return {
      connections: this.accepted - this.closed,
      accepted: this.accepted,
      refused: this.refused,
      closed: this.closed,
      bytesReceived,
      bytesSent,
      tlsHandshakeFailures: this.tlsHandshakeFailures,
      proxyHeaderFailures: this.proxyHeaderFailures,
    };
  }
}
