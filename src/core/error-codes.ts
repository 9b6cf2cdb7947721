/**
 * The one table of error codes: every `code` a tcpkit error can carry, in
 * every module (tcp, tls, udp, socket), with what it means. The `TcpErrorCode`
 * type is derived from it, so a code cannot be used without being listed here.
 *
 * @module
 */

/** Every error code and its meaning; `docs/errors.md` shows the same table. */
export const ERROR_CODES = {
  ERR_TCP: "Any other failure.",
  ERR_CONNECT: "The connection (or its local binding) could not be made.",
  ERR_READ_TIMEOUT: "No data within the read time-out; the connection stays open.",
  ERR_WRITE_TIMEOUT: "A write made no progress within the write time-out; the connection is closed.",
  ERR_CONNECTION_CLOSED: "The peer closed the connection (end of stream).",
  ERR_SOCKET_CLOSED: "The connection was already closed on this side.",
  ERR_TLS: "A TLS configuration that cannot be used, or a failed handshake.",
  ERR_LISTENER: "The listener could not start, or was used in the wrong state.",
  ERR_ABORTED: "The operation's AbortSignal fired.",
  ERR_MAX_LENGTH: "readUntil found no delimiter within maxLength bytes.",
  ERR_INVALID_ARGUMENT: "An argument or configuration field is invalid; the message names it.",
  ERR_TOO_MANY_PENDING_READS: "More reads are waiting than maxPendingReads allows.",
  ERR_WRITE_BUFFER_FULL: "Too many bytes written and not yet sent; await earlier writes.",
  ERR_WRITE: "The operating system refused a write.",
  ERR_SOCKET: "A socket error on an open connection.",
  ERR_HANDLER: "A service handler threw, rejected or returned something unusable.",
  ERR_BIND: "UDP: the local address or port cannot be used.",
  ERR_MESSAGE_SIZE: "UDP: the payload is over the largest datagram.",
  ERR_FRAME_TOO_LONG: "A frame is longer than its codec's maxLength (or its length field); a listener closes the connection.",
  ERR_CRASH_LOOP: "Cluster: workers kept dying at start-up; the pool stopped instead of restarting them.",
  ERR_CONNECTION_LIMIT: "Listener: a connection was closed on arrival by maxConnections or maxConnectionsPerHost.",
  ERR_INVALID_STATE: "A call the connection cannot take in its present state (startTls while a read is pending or TLS is on, writeFrame without a codec).",
  ERR_PROXY_PROTOCOL: "Listener: a bad, late or untrusted PROXY protocol header; the connection was refused.",
} as const;

/** The stable codes of `TcpError`; match on these, not on messages. */
export type TcpErrorCode = keyof typeof ERROR_CODES;
