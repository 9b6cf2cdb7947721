/**
 * The peer of one listener connection, as handlers see it.
 *
 * @module
 */
import type { Socket } from "node:net";
import type { ByteData } from "../core/bytes.js";
import { SocketWriter, type WriteSink } from "./socket-writer.js";
import { tlsInfoOf, type TlsInfo } from "../tls/tls-info.js";

/** What the caller needs from the connection that owns it. */
export interface CallerHost {
  readonly socket: Socket;
  readonly writeTimeoutMs: number;
  /** The local address when known without asking the socket. */
  readonly localAddress?: { readonly host: string; readonly port: number } | undefined;
  closeGracefully(): Promise<void>;
}

/** The unsent bytes beyond which `Caller.writeBytes` refuses more. */
const MAX_QUEUED_WRITE_BYTES = 64 * 1024 * 1024;

/**
 * One connected peer of a {@link Listener}.
 *
 * @example
 * ```ts
 * onConnect(caller) {
 *   console.log(`${caller.id} from ${caller.remoteHost}:${caller.remotePort}`);
 *   return { onBytes: (data) => caller.writeBytes(data) };
 * }
 * ```
 */
export class Caller {
  /** Unique among this process's connections. */
  readonly id: string;
  /** The peer's IP address (no reverse lookup). */
  readonly remoteHost: string;
  readonly remotePort: number;
  /** The local IP address the peer connected to. */
  readonly localHost: string;
  readonly localPort: number;
  /** What the TLS handshake settled (protocol, cipher, ALPN, client certificate); `undefined` for plain TCP. */
  readonly tls: TlsInfo | undefined;
  readonly #host: CallerHost;
  #writer: SocketWriter | undefined;

  constructor(id: string, host: CallerHost) {
    const socket = host.socket;
    this.id = id;
    this.#host = host;
    this.remoteHost = socket.remoteAddress ?? "";
    this.remotePort = socket.remotePort ?? 0;
    const local = host.localAddress;
    this.localHost = local?.host ?? socket.localAddress ?? "";
    this.localPort = local?.port ?? socket.localPort ?? 0;
    this.tls = tlsInfoOf(socket);
  }

  /**
   * Writes all of `data` to the peer, in call order with write-backs from
   * `onBytes`. After the connection closed: `Socket connection already closed.`.
   */
  writeBytes(data: ByteData): Promise<void> {
    return this.#writerNow().write(data);
  }

  /**
   * @internal A write-back from `onBytes`, through the same writer (so in order
   * with `writeBytes`, under the same time-out) but without a promise: `true`
   * when the kernel took it at once, else `sink` hears how it ended.
   */
  _writeBack(data: ByteData, sink: WriteSink): boolean {
    return this.#writerNow().writeFor(data, sink);
  }

  #writerNow(): SocketWriter {
    this.#writer ??= new SocketWriter(this.#host.socket, {
      writeTimeoutMs: this.#host.writeTimeoutMs,
      maxQueuedBytes: MAX_QUEUED_WRITE_BYTES,
    });
    return this.#writer;
  }

  /** Flushes what was written, closes the connection and resolves when it is closed. */
  close(): Promise<void> {
    return this.#host.closeGracefully();
  }

  /** @internal Sends FIN after every write made so far (see {@link SocketWriter.end}). */
  _endWrites(): void {
    if (this.#writer === undefined) this.#host.socket.end();
    else this.#writer.end();
  }

  /** @internal Rejects pending `writeBytes` calls; the connection is gone. */
  _closeWriter(): void {
    this.#writer?.close();
  }
}
