/**
 * The 1.2.0 `socket:UdpClient`, on tcpkit/udp's {@link UdpCoreClient}:
 * `sendTo(bytes, address)` and `receiveFrom(length?)`. With a length, the
 * bytes of as many datagrams as it takes are gathered (as 1.2.0 does); the
 * surplus of the last datagram is kept for the next receive, not dropped.
 *
 * @module
 */
import { TcpError, withCause } from "../core/errors.js";
import { toBuffer } from "../core/bytes.js";
import { invalidArgument } from "../core/units.js";
import { Client as UdpCoreClient } from "../udp/client.js";
import { UdpError } from "../udp/udp-error.js";
import { GenericError, SocketMessages, checkMillis, toSocketError } from "./errors.js";

/** An IP socket address. */
export interface Address {
  /** Host name or IP; `localhost` when absent (for a local address: all interfaces). */
  host?: string;
  port: number;
}

/** Configuration of a 1.2.0 {@link UdpClient}. */
export interface UdpClientConfig {
  /** Receive time-out in milliseconds; 0 waits for ever. @default 300000 */
  readTimeoutInMillis?: number;
}

/** What `receiveFrom` resolves with: the bytes, their count, and the sender. */
export type ReceiveFromResult = [bytes: Uint8Array, length: number, address: Required<Address>];

interface Piece {
  readonly data: Buffer;
  readonly address: Required<Address>;
}

/**
 * A connectionless UDP client in the 1.2.0 shape. It binds in the
 * constructor; methods wait for that and reject with a `GenericError`
 * `unable to start the udp client: <cause>` when it failed.
 *
 * @example
 * ```ts
 * const client = new UdpClient(undefined, { readTimeoutInMillis: 5000 });
 * await client.sendTo(Buffer.from("Hello from UDP client"), { host: "localhost", port: 48826 });
 * const [bytes, length, from] = await client.receiveFrom();
 * await client.close();
 * ```
 */
export class UdpClient {
  readonly #ready: Promise<UdpCoreClient | GenericError>;
  /** Received bytes not yet handed out (the surplus of a gathering receive). */
  readonly #pieces: Piece[] = [];
  /** `receiveFrom` calls run one after another, so gathered bytes stay in order. */
  #receiving: Promise<unknown> = Promise.resolve();
  #closing = false;

  /** Binds to `localAddress` (a free port on all interfaces when absent). */
  constructor(localAddress?: Address, config: UdpClientConfig = {}) {
    this.#ready = this.#create(localAddress, config);
  }

  /** Sends `content` as one datagram to `address`; resolves with the number of bytes sent. */
  async sendTo(content: Uint8Array | string, address: Address): Promise<number> {
    const client = await this.#client();
    let data: Buffer;
    try {
      data = toBuffer(content);
      if (address === null || typeof address !== "object") throw invalidArgument("address", "an Address { host, port }", address);
      await client.sendDatagram({ remoteHost: address.host ?? "localhost", remotePort: address.port, data });
    } catch (error) {
      throw toSocketError(error);
    }
    return data.length;
  }

  /**
   * Without `length`: the next datagram, whole. With `length`: exactly that
   * many bytes, gathered across datagrams. The address is the sender of the
   * last datagram used. Time-out: `ReadTimedOutError`; bytes gathered so far
   * stay for the next receive.
   */
  receiveFrom(length?: number): Promise<ReceiveFromResult> {
    if (length !== undefined && (!Number.isInteger(length) || length < 1)) {
      return Promise.reject(new GenericError(SocketMessages.badLength, { code: "ERR_INVALID_ARGUMENT" }));
    }
    const run = this.#receiving.then(() => this.#receive(length));
    this.#receiving = run.catch(() => {});
    return run;
  }

  /** Closes the socket; waiting receives reject. Idempotent. */
  async close(): Promise<void> {
    this.#closing = true;
    const client = await this.#ready;
    if (!(client instanceof GenericError)) await client.close();
  }

  async #create(localAddress: Address | undefined, config: UdpClientConfig): Promise<UdpCoreClient | GenericError> {
    try {
      if (localAddress !== undefined && (localAddress === null || typeof localAddress !== "object")) {
        throw invalidArgument("localAddress", "an Address { host?, port }", localAddress);
      }
      if (config !== undefined && (config === null || typeof config !== "object")) throw invalidArgument("config", "an object", config);
      const timeoutMs = checkMillis(config?.readTimeoutInMillis, 300_000, "readTimeoutInMillis");
      return await UdpCoreClient.createWithTimeoutMs(
        {
          ...(localAddress?.host === undefined ? {} : { localHost: localAddress.host }),
          ...(localAddress?.port === undefined ? {} : { localPort: localAddress.port }),
        },
        timeoutMs,
      );
    } catch (error) {
      const cause = error instanceof UdpError && error.cause !== undefined ? error.cause : error;
      return new GenericError(withCause(SocketMessages.startUdpClient, cause), {
        code: error instanceof TcpError ? error.code : "ERR_BIND",
        cause: error,
      });
    }
  }

  async #client(): Promise<UdpCoreClient> {
    const client = await this.#ready;
    if (client instanceof GenericError) throw client;
    if (this.#closing) throw new GenericError(SocketMessages.alreadyClosed, { code: "ERR_SOCKET_CLOSED" });
    return client;
  }

  async #next(client: UdpCoreClient): Promise<Piece> {
    const piece = this.#pieces.shift();
    if (piece !== undefined) return piece;
    try {
      const datagram = await client.receiveDatagram();
      return { data: Buffer.from(datagram.data.buffer, datagram.data.byteOffset, datagram.data.byteLength), address: { host: datagram.remoteHost, port: datagram.remotePort } };
    } catch (error) {
      throw toSocketError(error);
    }
  }

  async #receive(length: number | undefined): Promise<ReceiveFromResult> {
    const client = await this.#client();
    if (length === undefined) {
      const piece = await this.#next(client);
      return [piece.data, piece.data.length, piece.address];
    }
    const taken: Piece[] = [];
    let total = 0;
    try {
      while (total < length) {
        const piece = await this.#next(client);
        const need = length - total;
        if (piece.data.length > need) {
          taken.push({ data: piece.data.subarray(0, need), address: piece.address });
          this.#pieces.unshift({ data: piece.data.subarray(need), address: piece.address });
        } else {
          taken.push(piece);
        }
        total += taken.at(-1)!.data.length;
      }
    } catch (error) {
      this.#pieces.unshift(...taken); // nothing gathered is lost to a time-out
      throw error;
    }
    const data = taken.length === 1 ? taken[0]!.data : Buffer.concat(taken.map((p) => p.data));
    return [data, data.length, taken.at(-1)!.address];
  }
}
