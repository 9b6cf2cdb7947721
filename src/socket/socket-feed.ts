/**
 * A 1.2.0 client's own connection: the socket feeds the {@link Inbox}
 * directly (one buffer, no pump), pausing while too much is unread, and
 * writes go through the TCP core's {@link SocketWriter}.
 *
 * @module
 */
import type { Socket } from "node:net";
import { ConnectionClosedError, alreadyClosed, type TcpError } from "../core/errors.js";
import { connectionError } from "../tcp/connection-error.js";
import { shutdownWrite } from "../tcp/shutdown-write.js";
import { SocketWriter } from "../tcp/socket-writer.js";
import type { Inbox } from "./inbox.js";

/** The connected thing under a 1.2.0 `Client`: its own socket, or a listener's connection. */
export interface SocketChannel {
  write(data: Buffer): Promise<void>;
  shutdownWrite(): Promise<void>;
  close(): Promise<void>;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
}

/** The 1.2.0 module has no write time-out setting: the core's default applies. */
const WRITE_TIMEOUT_MS = 300_000;
/** Unsent bytes beyond which a further un-awaited write is refused, as in the core client. */
const MAX_QUEUED_WRITE_BYTES = 64 * 1024 * 1024;

/** Wires `socket` to `inbox`; `onError` hears socket errors (not the local close). */
export function feedInbox(socket: Socket, inbox: Inbox, onError: (error: TcpError) => void): SocketChannel {
  const writer = new SocketWriter(socket, { writeTimeoutMs: WRITE_TIMEOUT_MS, maxQueuedBytes: MAX_QUEUED_WRITE_BYTES });
  let closing = false;
  const closed = new Promise<void>((resolve) => {
    socket.once("close", () => {
      inbox.end();
      writer.close(closing ? alreadyClosed() : new ConnectionClosedError());
      resolve();
    });
  });
  const resume = (): void => {
    if (!socket.destroyed) socket.resume();
  };
  socket.on("data", (chunk: Buffer) => {
    const gate = inbox.push(chunk);
    if (gate === undefined) return;
    socket.pause();
    void gate.then(resume);
  });
  socket.on("end", () => inbox.end());
  socket.on("error", (error) => {
    if (closing) return;
    const failure = connectionError(error);
    inbox.fail(failure);
    onError(failure);
  });
  return {
    write: (data) => writer.write(data),
    shutdownWrite: () => shutdownWrite(socket, writer, () => closing),
    close: () => {
      if (!closing) {
        closing = true;
        writer.close(alreadyClosed());
        socket.destroy();
      }
      return closed;
    },
    remoteAddress: socket.remoteAddress ?? "",
    remotePort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? "",
    localPort: socket.localPort ?? 0,
  };
}
